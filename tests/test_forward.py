"""The one forward pass: the same numbers as calling the model, in batches, on the CPU, the caller's mode restored."""

import pytest
import torch

from fmnist_lib.analysis.failures import feature_embeddings
from fmnist_lib.analysis.robustness import predict
from fmnist_lib.data.batches import to_unit_float
from fmnist_lib.errors import ConfigError
from fmnist_lib.runs.seeds import average_probs, seed_probabilities
from fmnist_lib.training.forward import forward, layer_inputs, predict_logits
from fmnist_lib.training.models import MODEL_NAMES, build_model


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (7, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)


@pytest.mark.parametrize("model_name", MODEL_NAMES)
@pytest.mark.parametrize("training", [True, False])
def test_forward_equals_the_model_in_eval_mode_and_restores_the_mode(model_name, training, images):
    torch.manual_seed(0)
    model = build_model(model_name).train(training)
    out = forward(model, images, batch_size=3, channels_last=False)
    assert out.shape == (7, 10) and out.dtype == torch.float32 and out.device.type == "cpu"
    assert model.training == training
    with torch.no_grad():
        expected = model.eval()(to_unit_float(images))
    assert torch.allclose(out, expected, atol=1e-5)


def test_uint8_and_float_inputs_agree_and_are_not_changed(images):
    model = build_model("custom_cnn")
    pixels = to_unit_float(images)
    before = pixels.clone()
    assert torch.equal(forward(model, images, channels_last=False), forward(model, pixels, channels_last=False))
    assert torch.equal(pixels, before)


def test_the_callers_conventions_are_kept(images):
    model = build_model("custom_cnn")
    assert torch.equal(predict_logits(model, images), forward(model, images, batch_size=256, channels_last=True))
    assert torch.equal(predict(model, to_unit_float(images)),
                       forward(model, images, batch_size=500, channels_last=False))
    assert predict(model, torch.zeros(0, 1, 28, 28)).shape == (0, 10)
    assert forward(model, images, batch_size=None).shape == (7, 10)  # one batch


def test_layer_inputs_are_the_last_linear_layers_input(images):
    model = build_model("custom_cnn").train()
    features = feature_embeddings(model, images, batch_size=4)
    assert features.shape == (7, 256) and model.training
    assert torch.equal(features, layer_inputs(model, images, model.net.classifier[-1], batch_size=4))


def test_seed_probabilities_average_and_check_the_runs():
    logits = [torch.randn(5, 10, generator=torch.Generator().manual_seed(s)) for s in range(3)]
    labels = torch.arange(5)
    probs, got_labels = seed_probabilities([(x, labels) for x in logits])
    assert probs.shape == (3, 5, 10) and torch.equal(got_labels, labels)
    assert average_probs([(x, labels) for x in logits]) == pytest.approx(probs.mean(0).numpy())
    with pytest.raises(ConfigError, match="at least 2 runs"):
        seed_probabilities([(logits[0], labels)], min_runs=2)
    with pytest.raises(ConfigError, match="other labels"):
        seed_probabilities([(logits[0], labels), (logits[1], labels.flip(0))])
