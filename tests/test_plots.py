"""Report figures from synthetic inputs: axes counts, labels, known values, no mutation, clear errors."""

import io

import numpy as np
import pandas as pd
import pytest

import matplotlib  # noqa: E402  (the report extra: installed from the lock)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fmnist_lib.data.fashion_mnist import CLASS_NAMES  # noqa: E402
from fmnist_lib.report.plots import explain as explain_plots  # noqa: E402
from fmnist_lib.report.plots import failures as failure_plots  # noqa: E402
from fmnist_lib.report.plots import robustness as robustness_plots  # noqa: E402
from fmnist_lib.report.plots import statistics as statistics_plots  # noqa: E402
from fmnist_lib.report.plots import training as training_plots  # noqa: E402
from fmnist_lib.report.plots.common import ReportFigure  # noqa: E402
from fmnist_lib.report.plots.look import FIGURE_DPI, FIGURE_WIDTH, MIN_FONT_PT  # noqa: E402

MODELS = ("custom_cnn", "vgg16", "resnet18")
RNG = np.random.default_rng(0)


def history(epochs=4, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "epoch": np.arange(1, epochs + 1), "lr": 1e-3,
        "train_loss": np.linspace(1.0, 0.3, epochs), "train_acc": np.linspace(0.6, 0.95, epochs),
        "val_loss": np.linspace(1.1, 0.4, epochs), "val_acc": np.linspace(0.55, 0.9, epochs) + rng.normal(0, 0.01, epochs),
        "seconds": 1.0,
    })


def images(n, dtype=np.uint8):
    return RNG.integers(0, 256, size=(n, 28, 28)).astype(dtype)


def cases(n):
    return pd.DataFrame({"label_name": [CLASS_NAMES[i % 10] for i in range(n)],
                         "prediction_name": [CLASS_NAMES[(i + 1) % 10] for i in range(n)],
                         "confidence": np.linspace(0.2, 0.99, n), "entropy": np.linspace(2.0, 0.01, n)})


def probabilities(n):
    logits = RNG.normal(size=(n, 10))
    return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


def renders(fig):
    """The figure lays out and draws without error (tiny dpi, for speed), and is drawn for the page: no wider
    than the text column, rendered at the report's resolution, no visible text under 9 pt."""
    fig.savefig(io.BytesIO(), format="png", dpi=20)
    assert isinstance(fig, ReportFigure) and fig.dpi == FIGURE_DPI
    assert fig.get_figwidth() <= FIGURE_WIDTH + 1e-9, fig.get_figwidth()
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT]
    assert not small, small
    return True


def texts(fig):
    """Every title, axis label and tick label of the figure, as one string."""
    parts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return "\n".join(parts)


def test_sample_grid_one_row_per_class():
    labels = np.repeat(np.arange(10), 3)
    pictures, before = images(30), None
    before = pictures.copy()
    fig = training_plots.sample_grid(pictures, labels, per_class=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 20
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == list(CLASS_NAMES)
    assert np.array_equal(fig.axes[2].images[0].get_array(), pictures[labels == 1][0])
    assert np.array_equal(pictures, before) and renders(fig)
    plt.close(fig)


def test_class_balance_grouped_bars():
    counts = pd.DataFrame({"train": range(100, 110), "validation": range(10, 20), "test": range(20, 30)},
                          index=list(CLASS_NAMES))
    before = counts.copy()
    fig = training_plots.class_balance(counts)
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and len(ax.patches) >= 30
    assert sorted(p.get_height() for p in ax.patches if p.get_height() > 0)[-1] == 109
    assert "Sandal" in texts(fig) and "(count)" in ax.get_ylabel()
    pd.testing.assert_frame_equal(counts, before)
    plt.close(fig)


@pytest.mark.parametrize("n_models", [1, 3])
def test_training_curves_one_row_per_model_with_its_own_axes(n_models):
    histories = {name: history(seed=i) for i, name in enumerate(MODELS[:n_models])}
    histories[MODELS[0]] = histories[MODELS[0]].assign(train_acc=np.linspace(0.10, 0.12, 4))  # another scale
    copies = {name: h.copy() for name, h in histories.items()}
    fig = training_plots.training_curves(histories)
    assert len(fig.axes) == 2 * n_models
    assert [ax.get_title() for ax in fig.axes[::2]] == [f"{name}: accuracy" for name in MODELS[:n_models]]
    assert [ax.get_title() for ax in fig.axes[1::2]] == [f"{name}: loss" for name in MODELS[:n_models]]
    assert "%" in fig.axes[0].get_ylabel() and fig.axes[-1].get_xlabel() == "epoch"
    train_line, val_line = fig.axes[0].get_lines()
    assert np.allclose(train_line.get_ydata(), histories[MODELS[0]]["train_acc"] * 100)  # fractions shown as %
    assert train_line.get_linestyle() != val_line.get_linestyle()  # train and validation apart in grayscale
    if n_models > 1:  # every panel scaled to its own curves
        assert fig.axes[0].get_ylim() != fig.axes[2].get_ylim()
    for name in histories:
        pd.testing.assert_frame_equal(histories[name], copies[name])
    assert renders(fig)
    plt.close(fig)


def test_compare_curves_runs_on_shared_axes():
    fig = training_plots.compare_curves({"baseline": history(), "augmented": history(seed=1)})
    acc_ax, loss_ax = fig.axes
    assert len(acc_ax.get_lines()) == 4 and len(loss_ax.get_lines()) == 4
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "baseline (validation)" in labels and "augmented (train)" in labels
    markers = {line.get_label(): line.get_marker() for line in acc_ax.get_lines()}
    assert markers["baseline (train)"] != markers["augmented (train)"]  # runs apart without colour
    assert "%" in acc_ax.get_ylabel() and renders(fig)
    plt.close(fig)


@pytest.mark.parametrize("curves", [training_plots.training_curves, training_plots.compare_curves])
def test_curves_name_the_missing_column(curves):
    with pytest.raises(ValueError, match="val_acc") as error:
        curves({"vgg16": history().drop(columns="val_acc")})
    assert "vgg16" in str(error.value)
    with pytest.raises(ValueError, match="empty"):
        curves({})


def test_confusion_heatmap_rows_sum_to_100_percent():
    confusion = RNG.integers(0, 50, size=(10, 10))
    confusion[3] = 0  # a class absent from the labels: its row is all zeros, not NaN
    before = confusion.copy()
    fig = failure_plots.confusion_heatmap(confusion)
    ax = fig.axes[0]
    annotations = np.array([float(t.get_text()) for t in ax.texts]).reshape(10, 10)
    row_sums = np.delete(annotations.sum(1), 3)
    assert np.allclose(row_sums, 100, atol=5) and annotations[3].sum() == 0  # whole per cents, each rounded
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    assert "Ankle boot" in texts(fig) and "%" in fig.axes[1].get_ylabel()  # colorbar
    assert np.array_equal(confusion, before) and renders(fig)
    plt.close(fig)


def test_confusion_heatmap_counts_and_bad_shape():
    confusion = np.diag(np.arange(1, 11))
    fig = failure_plots.confusion_heatmap(confusion.tolist(), normalize=False)
    assert [t.get_text() for t in fig.axes[0].texts][:2] == ["1", "0"]
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(10, 10\)"):
        failure_plots.confusion_heatmap(np.ones((9, 10)))


@pytest.mark.parametrize("with_probabilities", [False, True])
def test_case_gallery_cases_in_rows_of_four(with_probabilities):
    pictures, rows = images(6), cases(6)
    probs = probabilities(6) if with_probabilities else None
    before = (pictures.copy(), rows.copy())
    fig = failure_plots.case_gallery(pictures, rows, probs)
    assert len(fig.axes) == 6 * (2 if with_probabilities else 1)
    assert fig.axes[0].get_title() == "T-shirt/top → Trouser"
    assert "confidence 20 %" in fig.axes[0].get_xlabel() and "entropy 2.000" in fig.axes[0].get_xlabel()
    positions = [ax.get_subplotspec().get_geometry() for ax in fig.axes[:6]]
    assert len({(rows_, cols) for rows_, cols, _, _ in positions}) == 1 and positions[0][1] == 4
    if with_probabilities:
        bars = fig.axes[6]
        widths = [p.get_width() for p in bars.patches]
        assert len(widths) == 3 and widths == sorted(widths, reverse=True)
        assert widths[0] == pytest.approx(probs[0].max() * 100)
        assert len(bars.texts) == 3  # each bar labelled with its value
    assert np.array_equal(pictures, before[0]) and rows.equals(before[1]) and renders(fig)
    plt.close(fig)


def test_probability_labels_tell_a_confident_case_apart_from_certainty():
    sure = np.r_[0.9996, 0.0003, 0.0001, np.zeros(7)]
    fig = failure_plots.case_gallery(images(1), cases(1), sure[None, :])
    assert [t.get_text() for t in fig.axes[1].texts] == ["99.96 %", "0.03 %", "0.01 %"]
    assert [failure_plots._percent(v) for v in (42.4, 0.001, 100.0)] == ["42 %", "<0.01 %", ">99.99 %"]
    plt.close(fig)


def test_case_gallery_bad_input():
    with pytest.raises(ValueError, match="rows has 2 entries but there are 3 images"):
        failure_plots.case_gallery(images(3), cases(2))
    with pytest.raises(ValueError, match="entropy"):
        failure_plots.case_gallery(images(2), cases(2).drop(columns="entropy"))
    with pytest.raises(ValueError, match="probabilities"):
        failure_plots.case_gallery(images(2), cases(2), probabilities(3))


def test_neighbour_grid_query_then_neighbours():
    queries, neighbours = images(2), images(8).reshape(2, 4, 28, 28)
    before = neighbours.copy()
    fig = failure_plots.neighbour_grid(queries, neighbours, titles=["Shirt", "Coat"],
                               neighbour_titles=[[f"d={d}" for d in range(4)]] * 2)
    assert len(fig.axes) == 2 * 5
    assert fig.axes[5].get_ylabel() == "Coat" and fig.axes[6].get_title() == "d=0"
    assert np.array_equal(fig.axes[9].images[0].get_array(), neighbours[1, 3])
    assert np.array_equal(neighbours, before) and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="3 rows of neighbours but there are 2"):
        failure_plots.neighbour_grid(queries, images(12).reshape(3, 4, 28, 28))
    with pytest.raises(ValueError, match=r"neighbour_titles\[0\]"):
        failure_plots.neighbour_grid(queries, neighbours, neighbour_titles=[["a"], ["b"]])


def test_cam_grid_overlays_each_set():
    pictures = images(2, dtype=np.float32) / 255
    cams = {"predicted class": RNG.random((2, 28, 28)), "true class": RNG.random((2, 28, 28))}
    before = {name: c.copy() for name, c in cams.items()}
    fig = explain_plots.cam_grid(pictures, cams, titles=["Bag → Dress", "Coat → Shirt"])
    assert len(fig.axes) == 2 * 3 + 3  # plus the colour bar (between two empty panels)
    overlay_ax = fig.axes[1]
    assert overlay_ax.get_title() == "predicted class" and len(overlay_ax.images) == 2
    assert overlay_ax.images[1].get_cmap().name == "jet" and overlay_ax.images[1].get_alpha() == 0.5
    case_titles = [sub._suptitle.get_text() for sub in fig.subfigs[0].subfigs]
    assert case_titles == ["Bag → Dress", "Coat → Shirt"]
    assert all(np.array_equal(cams[name], before[name]) for name in cams) and renders(fig)
    plt.close(fig)


def test_cam_grid_bad_input():
    with pytest.raises(ValueError, match="'true class' has shape"):
        explain_plots.cam_grid(images(2), {"true class": np.zeros((3, 28, 28))})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        explain_plots.cam_grid(images(2), {"raw": np.full((2, 28, 28), 2.0)})
    with pytest.raises(ValueError, match="titles"):
        explain_plots.cam_grid(images(2), {"raw": np.zeros((2, 28, 28))}, titles=["one"])


def test_metric_bars_percent_and_errors():
    table = pd.DataFrame({"model": list(MODELS), "test_acc": [0.93, 0.92, 0.90], "sd": [0.002, 0.003, 0.004]})
    before = table.copy()
    fig = training_plots.metric_bars(table, "test_acc", error="sd")
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and [p.get_height() for p in ax.patches] == pytest.approx([93, 92, 90])
    assert "%" in ax.get_ylabel() and "resnet18" in texts(fig) and "93.00%" in [t.get_text() for t in ax.texts]
    pd.testing.assert_frame_equal(table, before)
    plt.close(fig)
    fig = training_plots.metric_bars(table.rename(columns={"test_acc": "seconds"}), "seconds")
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx([0.93, 0.92, 0.90])
    plt.close(fig)
    with pytest.raises(ValueError, match="sigma"):
        training_plots.metric_bars(table, "test_acc", error="sigma")
    with pytest.raises(ValueError, match="repeated 'model'"):
        training_plots.metric_bars(pd.concat([table, table]), "test_acc")


def test_no_figure_left_registered_with_pyplot():
    """Figures are bare Figure objects: a notebook shows each once and nothing accumulates."""
    plt.close("all")
    fig = training_plots.metric_bars(pd.DataFrame({"model": ["a"], "loss": [0.3]}), "loss")
    assert plt.get_fignums() == []
    plt.close(fig)


# ---- statistics figures -------------------------------------------------------------------------

def test_seed_points_one_point_per_run_and_mean_sd():
    runs = pd.DataFrame({"arm": ["base"] * 3 + ["aug"] * 3, "test acc %": [90.0, 91.0, 92.0, 92.0, 92.5, 93.0]})
    before = runs.copy()
    fig = statistics_plots.seed_points(runs, x="arm", y="test acc %", order=["base", "aug"])
    ax = fig.axes[0]
    points = [c for c in ax.collections if len(c.get_offsets()) == 3]
    assert len(points) == 2 and sorted(points[0].get_offsets()[:, 1]) == [90.0, 91.0, 92.0]
    means = [line for line in ax.lines if line.get_marker() == "D"][0]
    assert list(means.get_ydata()) == pytest.approx([91.0, 92.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one run (seed)", "mean ± sd"]
    pd.testing.assert_frame_equal(runs, before)
    assert renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match=r"order lacks group\(s\) \['aug'\]"):
        statistics_plots.seed_points(runs, x="arm", y="test acc %", order=["base"])
    with pytest.raises(ValueError, match="lacks column"):
        statistics_plots.seed_points(runs, x="arm", y="loss")


def test_risk_coverage_plot_thins_each_curve():
    coverage = np.arange(1, 1001) / 1000
    curves = pd.concat([pd.DataFrame({"model": model, "signal": signal, "coverage": coverage,
                                      "risk": np.linspace(0.0, 0.1, 1000)})
                        for model in ("a", "b") for signal in ("confidence", "entropy")], ignore_index=True)
    fig = statistics_plots.risk_coverage_plot(curves, max_points=50)
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert fig.axes[0].get_shared_y_axes().get_siblings(fig.axes[0]) == [fig.axes[0]]  # each model its own scale
    lines = fig.axes[0].lines
    assert len(lines) == 2 and all(len(line.get_xdata()) == 50 for line in lines)
    assert lines[0].get_xdata()[-1] == 100 and lines[0].get_ydata()[-1] == pytest.approx(10)  # the end is kept
    assert renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="risk"):
        statistics_plots.risk_coverage_plot(curves.drop(columns="risk"))


def test_image_gallery_rows_titles_and_flags():
    pictures = images(5)
    before = pictures.copy()
    fig = statistics_plots.image_gallery(pictures, titles=[f"t{i}" for i in range(5)], captions=[f"c{i}" for i in range(5)],
                              columns=3, flagged=[False, True, False, False, False], flag_label="suspect")
    assert len(fig.axes) == 6 and not fig.axes[5].axison  # 2 rows of 3, the last panel empty
    assert fig.axes[4].get_title() == "t4" and fig.axes[4].get_xlabel() == "c4"
    assert fig.axes[1].spines["top"].get_visible() and not fig.axes[0].spines["top"].get_visible()
    assert "red frame: suspect" in fig._suptitle.get_text()
    assert np.array_equal(pictures, before) and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="titles has 2 entries but there are 5 images"):
        statistics_plots.image_gallery(pictures, titles=["a", "b"])
    with pytest.raises(ValueError, match="non-empty"):
        statistics_plots.image_gallery(images(0), titles=[])


# ---- stress-test figures ------------------------------------------------------------------------

def stress_errors():
    rows = [{"model": m, "corruption": "clean", "severity": 0, "error": 0.05 + 0.01 * i} for i, m in enumerate(MODELS)]
    rows += [{"model": m, "corruption": c, "severity": s, "error": 0.05 + 0.1 * s + 0.01 * i}
             for i, m in enumerate(MODELS) for c in ("gaussian_noise", "contrast", "hflip") for s in (1, 2, 3)]
    return pd.DataFrame(rows)


def test_severity_curves_one_panel_per_corruption():
    errors = stress_errors()
    before = errors.copy()
    fig = robustness_plots.severity_curves(errors, columns=2)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3 and [ax.get_title() for ax in visible] == ["Gaussian noise", "Contrast", "Horizontal flip"]
    assert fig.axes[3].get_legend() is not None  # the free fourth panel holds the legend
    line = visible[0].get_lines()[0]
    assert list(line.get_xdata()) == [0, 1, 2, 3] and line.get_ydata()[0] == pytest.approx(5)  # clean error, in %
    assert len(visible[0].get_lines()) == len(MODELS) and "error (%)" in texts(fig)
    pd.testing.assert_frame_equal(errors, before)
    assert renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="no corrupted"):
        robustness_plots.severity_curves(errors[errors.corruption == "clean"])
    with pytest.raises(ValueError, match="severity"):
        robustness_plots.severity_curves(errors.drop(columns="severity"))


def test_ce_heatmap_annotates_every_cell():
    ce = pd.DataFrame({"model": ["a", "a", "b", "b"], "corruption": ["jpeg", "hflip"] * 2, "CE": [100, 100, 80, 150]})
    fig = robustness_plots.ce_heatmap(ce, reference="a")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["100", "100", "150", "80"]
    assert "% of a" in fig.axes[1].get_ylabel() and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="relative CE"):
        robustness_plots.ce_heatmap(ce, column="relative CE")


def test_corruption_grid_rows_and_columns():
    grid = RNG.random((2, 3, 28, 28))
    fig = robustness_plots.corruption_grid(grid, ["contrast", "hflip"], (1, 5))
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "clean" and fig.axes[2].get_title() == "sev. 5"
    assert fig.axes[3].get_ylabel() == "Horizontal flip" and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="names and severities"):
        robustness_plots.corruption_grid(grid, ["contrast"], (1, 5))


def reliability(n_bins=15):
    edges = np.arange(n_bins + 1) / n_bins
    counts = np.r_[np.zeros(n_bins - 5, int), [5, 10, 20, 40, 100]]
    with np.errstate(invalid="ignore"):
        return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "confidence": np.where(counts, edges[1:] - 0.03, np.nan),
                             "accuracy": np.where(counts, edges[1:] - 0.1, np.nan), "count": counts})


def test_reliability_diagrams_one_panel_per_model():
    tables = {"A": reliability(), "B": reliability()}
    fig = robustness_plots.reliability_diagrams(tables, {"A": 0.0123})
    assert len(fig.axes) == 2 and "ECE 1.23 %" in fig.axes[0].get_title() and fig.axes[1].get_title() == "B"
    assert fig.legends and "gap to confidence" in [t.get_text() for t in fig.legends[0].get_texts()]
    heights = sorted(p.get_height() for p in fig.axes[0].patches if p.get_fill())
    assert len(heights) == 5 and heights[-1] == pytest.approx(90)  # accuracy of the filled bins, in %
    counts = [int(t.get_text().replace(",", "")) for t in fig.axes[0].texts]
    assert counts == [int(n) for n in tables["A"].loc[tables["A"]["count"] > 0, "count"]]  # each bar's images
    assert renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="count"):
        robustness_plots.reliability_diagrams({"A": reliability().drop(columns="count")})


def test_calibration_shift_before_and_after():
    frame = pd.DataFrame({"model": ["a"] * 3 + ["b"] * 3, "severity": [0, 1, 2] * 2, "accuracy": 0.9,
                          "ECE": [0.01, 0.05, 0.1] * 2, "ECE scaled": [0.01, 0.03, 0.08] * 2})
    fig = robustness_plots.calibration_shift(frame)
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 2
    assert list(fig.axes[1].get_lines()[0].get_ydata()) == pytest.approx([1, 3, 8]) and renders(fig)
    plt.close(fig)


def randomisation_table(steps=4):
    return pd.DataFrame({"step": range(steps), "randomised": ["none"] + [f"layer {i}" for i in range(1, steps)],
                         "median rho": np.linspace(1, 0.1, steps), "q25": np.linspace(1, 0, steps),
                         "q75": np.linspace(1, 0.2, steps)})


def test_randomisation_curves_and_maps():
    fig = explain_plots.randomisation_curves({"A": randomisation_table(), "B": randomisation_table(5)}, {"A": 0.2})
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[1].get_xticklabels()][-1] == "layer 4"
    assert any(line.get_linestyle() == "--" for line in fig.axes[0].get_lines())  # the different-images floor
    assert renders(fig)
    plt.close(fig)
    pictures, maps = images(2, np.float32) / 255, RNG.random((3, 2, 28, 28))
    fig = explain_plots.randomisation_maps(pictures, maps, ["none", "output layer", "block 1"])
    assert len(fig.axes) == 2 * 3 + 1 and fig.axes[1].get_title() == "output\nlayer" and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="steps"):
        explain_plots.randomisation_maps(pictures, maps, ["none"])


def test_deletion_curves_one_line_per_method():
    table = pd.DataFrame({"method": ["gradcam"] * 3 + ["random"] * 3, "fraction": [0, 0.5, 1] * 2,
                          "probability": [0.9, 0.3, 0.1, 0.9, 0.6, 0.1]})
    fig = explain_plots.deletion_curves({"A": table})
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and list(ax.get_lines()[0].get_xdata()) == [0, 50, 100]
    assert ax.get_lines()[0].get_linestyle() != ax.get_lines()[1].get_linestyle()  # apart in grayscale
    assert fig.legends and renders(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        explain_plots.deletion_curves({})


def test_budget_curves_mark_the_protocol_and_end_each_line_with_its_number():
    from fmnist_lib.analysis.training_curves import learning_curves

    long = pd.DataFrame({"epoch": range(1, 16), "val_acc": np.linspace(0.80, 0.92, 15)})
    short = pd.DataFrame({"epoch": [1, 2], "val_acc": [0.10, 0.651]})
    curves = learning_curves({"Custom CNN": long, "VGG-19": short}, {"Custom CNN": 50_000, "VGG-19": 10_000}, 750_000)
    assert list(curves.groupby("model", sort=False).images.max()) == [750_000, 20_000]
    assert curves.set_index("model").short.groupby(level=0).first().to_dict() == {"Custom CNN": False, "VGG-19": True}
    fig = training_plots.budget_curves(curves, 750_000, "the protocol: 15 epochs on 50,000 images")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and [line.get_label() for line in ax.lines[:2]] == ["Custom CNN", "VGG-19"]
    texts = [text.get_text() for text in ax.texts]
    assert "65.1 % after 2 epochs" in texts and "92.0 % after 15 epochs" in texts
    assert "the protocol: 15 epochs on 50,000 images" in texts
    assert any(list(line.get_xdata()) == [750_000, 750_000] for line in ax.lines)  # the protocol's dotted line
    with pytest.raises(ValueError, match="No images per epoch given for VGG-19"):
        learning_curves({"VGG-19": short}, {}, 750_000)


def test_confusion_colours_span_the_errors_and_the_diagonal_is_gray():
    confusion = np.full((10, 10), 2) + np.diag(np.full(10, 900))
    confusion[4, 6] = 60  # the largest error: the darkest blue
    fig = failure_plots.confusion_heatmap(confusion)
    mesh = fig.axes[0].collections[0]
    colours = mesh.get_facecolors().reshape(10, 10, 4)
    gray = matplotlib.colors.to_rgba(failure_plots.CORRECT_CELL)
    assert all(np.allclose(colours[i, i], gray) for i in range(10))
    assert not np.allclose(colours[4, 6], gray) and colours[4, 6][:3].sum() < colours[0, 1][:3].sum()  # darker
    assert mesh.norm.vmax < 10  # the scale ends just above the largest error (6 %), not at 100 %
    plt.close(fig)


def test_gallery_titles_of_neighbours_never_overlap():
    titles = ["Sneaker → Ankle boot", "Coat → Pullover", "T-shirt/top → Shirt", "Ankle boot → Sandal",
              "Pullover → Coat", "Shirt → T-shirt/top"]
    fig = statistics_plots.image_gallery(images(6), titles, columns=6)
    fig.canvas.draw()
    boxes = [ax.title.get_window_extent() for ax in fig.axes]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:])), [ax.get_title() for ax in fig.axes]
    assert fig.axes[0].get_title() == "Sneaker\n→ Ankle boot"  # broken at the arrow
    assert statistics_plots.fit_title("Coat", 1.0) == "Coat"
    plt.close(fig)


def test_gallery_captions_of_neighbours_never_overlap():
    captions = ["#209: wrong 2/2\n16% conf., 2.27 nats", "#800: wrong 1/2\n33% conf., 2.04 nats",
                "#239: wrong 2/2\n83% conf., 2.17 nats"]
    fig = statistics_plots.image_gallery(images(3), ["Bag → Dress", "Sneaker → Ankle boot", "Coat → Pullover"],
                                         captions, columns=3)
    fig.canvas.draw()
    boxes = [ax.xaxis.label.get_window_extent() for ax in fig.axes]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:])), [ax.get_xlabel() for ax in fig.axes]
    assert statistics_plots.fit_lines("16% conf., 2.27 nats", 1.0) == "16% conf.,\n2.27 nats"  # at the comma
    assert statistics_plots.fit_lines("wrong 2/2\n36% conf.", 1.0) == "wrong 2/2\n36% conf."  # short: as it was
    plt.close(fig)
