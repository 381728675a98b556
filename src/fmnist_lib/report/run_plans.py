"""Which runs each page of the report reads under a profile: the baselines, their seed runs, the augmentation
study, the policies compared, the label audit and the forensic twins, as TrainConfigs.

`profiles.py` says how long each model trains; this module turns a profile into the runs a page needs, so that
`sections.py` (and through it `fmnist sweep`) and the pages plan the same runs.
"""

from __future__ import annotations

import dataclasses

from ..data.augmentation import POLICY_NAMES, check_policy
from ..errors import ConfigError
from ..training.config import TrainConfig
from .profiles import get_profile


def augmented(config: TrainConfig, policy: str = "flip_rotate") -> TrainConfig:
    """The same run with an augmentation policy (by default the write-up's flip + rotation)."""
    return dataclasses.replace(config, augment=policy)


def seed_configs(config: TrainConfig, seeds) -> list[TrainConfig]:
    """The same run once per seed (initialisation, data order, augmentation); the split stays `split_seed`'s.

    Seeds must be distinct: a repeated seed is the same cached run, not another replicate.
    """
    seeds = list(seeds)
    if not seeds:
        raise ConfigError("seeds is empty: give at least one seed.")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ConfigError(f"Seeds {repeated} appear more than once; a repeated seed gives the same run, not a replicate.")
    return [dataclasses.replace(config, seed=seed) for seed in seeds]


def baseline_configs(profile: str, models: list[str], *, epochs: int | None = None, train_subset: int | None = None,
                     seed: int | None = None, device: str | None = None) -> dict[str, TrainConfig]:
    """The baseline run of each model under a profile (the baselines section and everything built on it)."""
    chosen = get_profile(profile)
    return {model: chosen.config(model, epochs=epochs, train_subset=train_subset, seed=seed, device=device)
            for model in models}


def matched_configs(profile: str, models: list[str], *, epochs: int | None = None, train_subset: int | None = None,
                    seed: int | None = None, device: str | None = None) -> dict[str, TrainConfig]:
    """Every model at one budget, the shortest of their baseline budgets (epochs, training images and the
    validation images checked after each epoch): what ranking architectures needs.

    Where the profile trains every model alike these are the baseline runs themselves (the same cached runs);
    elsewhere a better-funded model (the cpu profile's custom CNN) trains again at the shorter budget, which
    costs little because that budget is short.
    """
    baselines = baseline_configs(profile, models, epochs=epochs, train_subset=train_subset, seed=seed, device=device)
    shortest = min(baselines.values(), key=lambda config: (config.epochs * config.n_train, config.epochs))
    return {model: dataclasses.replace(config, epochs=shortest.epochs, train_subset=shortest.train_subset,
                                       val_subset=shortest.val_subset)
            for model, config in baselines.items()}


def augmentation_configs(profile: str, model: str, *, epochs: int | None = None, seed: int | None = None,
                         device: str | None = None) -> tuple[TrainConfig, TrainConfig]:
    """(baseline, augmented): the same model, protocol and budget, with and without flip + rotation."""
    baseline = get_profile(profile).config(model, epochs=epochs, seed=seed, device=device)
    return baseline, augmented(baseline)


def compared_policies(profile: str, policies=None) -> tuple[str, ...]:
    """The policies the augmentation page compares: none and flip_rotate, then `policies` (None: the profile's),
    in the registry's order."""
    chosen = get_profile(profile).policies if policies is None else [check_policy(name) for name in policies]
    return tuple(name for name in POLICY_NAMES if name in {"none", "flip_rotate", *chosen})


def policy_configs(profile: str, model: str, policies=None, *, epochs: int | None = None, seed: int | None = None,
                   device: str | None = None) -> dict[str, list[TrainConfig]]:
    """{policy: one config per seed}: every compared policy at the augmentation page's budget (its baseline run's).
    none and flip_rotate take every seed of the profile (at the headline budget they are the headline and
    augmented seed runs, trained anyway); the other policies the first `policy_seeds`. The first seed's none and
    flip_rotate runs are the page's baseline and augmented runs."""
    baseline = augmentation_configs(profile, model, epochs=epochs, seed=seed, device=device)[0]
    seeds = profile_seeds(profile, seed)
    extra = seeds[: get_profile(profile).policy_seeds]
    return {name: seed_configs(augmented(baseline, name), seeds if name in ("none", "flip_rotate") else extra)
            for name in compared_policies(profile, policies)}


# The write-up's text says only "standard normalization"; its code normalises with the training set's own mean and
# std (`TrainConfig`). The forensic twin reads the text the other common way, torchvision's tutorials' 0.5 and 0.5.
TEXT_NORMALISATION = (0.5, 0.5)


def forensic_configs(profile: str, model: str = "custom_cnn", *, seed: int | None = None,
                     device: str | None = None) -> dict[str, list[TrainConfig]]:
    """The claims page's forensic twins of `model`'s headline seed runs, where the profile trains them (else {}):
    'fp32' (the same runs in fp32) and 'normalisation' (with `TEXT_NORMALISATION`)."""
    if not get_profile(profile).forensics:
        return {}
    runs = headline_seed_configs(profile, model, seed=seed, device=device)
    mean, std = TEXT_NORMALISATION
    return {"fp32": [dataclasses.replace(c, precision="fp32") for c in runs],
            "normalisation": [dataclasses.replace(c, mean=mean, std=std) for c in runs]}


# ---- the statistics page: seeds, the augmentation study, the label audit -------------------------

STUDY_MODEL = "custom_cnn"  # the write-up studied augmentation on its custom CNN


def profile_seeds(profile: str, seed: int | None = None) -> tuple[int, ...]:
    """The profile's seeds, shifted so that the first is `seed` (None: as listed, the write-up's 56 first)."""
    seeds = get_profile(profile).seeds
    return seeds if seed is None else tuple(seed + s - seeds[0] for s in seeds)


def study_configs(profile: str, model: str = STUDY_MODEL, *, seed: int | None = None,
                  device: str | None = None) -> dict[tuple[bool, int], list[TrainConfig]]:
    """The augmentation study: {(augment, epochs): one config per seed}, baseline arms first; augment True is the
    write-up's flip + rotation (`flip_rotate`), False none.

    Both arms train at both of the profile's matched budgets (`study_epochs`) on `study_subset`
    images; only augmentation, epochs and seed vary. Where the shorter budget is the headline one (the full and
    smoke profiles), the shorter arms are the headline seed runs and their augmented twins, trained once.
    """
    chosen = get_profile(profile)
    arms = {}
    for augment in (False, True):
        for epochs in chosen.study_epochs:
            config = chosen.config(model, epochs=epochs, train_subset=chosen.study_subset,
                                   augment="flip_rotate" if augment else "none",
                                   val_subset=chosen.study_val_subset, device=device)
            arms[(augment, epochs)] = seed_configs(config, profile_seeds(profile, seed))
    return arms


def headline_seed_configs(profile: str, model: str, *, seed: int | None = None,
                          device: str | None = None) -> list[TrainConfig]:
    """The runs behind `model`'s headline numbers as mean +- sd: its headline config once per seed of the
    profile (the first seed's run is the headline run itself).

    Seed spreads, persistence, the "always wrong" images and the label audit read these, so they describe
    models trained as the headline model is, never a shorter stand-in. In the full profile the custom CNN's
    are also the augmentation study's 15-epoch baseline arm (the same configs, trained once). A model outside
    `seed_models` has no seed runs in this profile: ConfigError.
    """
    chosen = get_profile(profile)
    if model not in chosen.seed_models:
        raise ConfigError(f"Profile {profile!r} trains {model!r} with one seed only; models with seed runs: "
                          f"{', '.join(chosen.seed_models)}.")
    return seed_configs(chosen.config(model, device=device), profile_seeds(profile, seed))


def augmented_seed_configs(profile: str, model: str = STUDY_MODEL, *, seed: int | None = None,
                           device: str | None = None) -> list[TrainConfig]:
    """The headline seed runs again with the write-up's flip + rotation: the augmented arm at the headline
    budget, seed i paired with the baseline's seed i (in the full profile, the study's 15-epoch augmented arm)."""
    return [augmented(config) for config in headline_seed_configs(profile, model, seed=seed, device=device)]


def seeds_at_headline_budget(profile: str, model: str, *, device: str | None = None) -> bool:
    """Whether `model`'s seed runs train exactly as its headline run does (only the seed differs)."""
    runs = headline_seed_configs(profile, model, device=device)
    headline = get_profile(profile).config(model, device=device)
    return all(dataclasses.replace(config, seed=headline.seed) == headline for config in runs)


def persistence_configs(profile: str, model: str, *, seed: int | None = None,
                        device: str | None = None) -> list[TrainConfig]:
    """The seed runs that say whether `model`'s failures persist: its headline seed runs, or none."""
    if model not in get_profile(profile).seed_models:
        return []
    return headline_seed_configs(profile, model, seed=seed, device=device)


def audit_configs(profile: str, model: str = STUDY_MODEL, *, seed: int | None = None,
                  device: str | None = None) -> list[TrainConfig]:
    """The k-fold runs of the training-set label audit (each trains on k-1 folds of the headline run's
    training split and predicts the fold it left out); none where the profile skips the audit."""
    chosen = get_profile(profile)
    if chosen.audit_folds is None:
        return []
    config = chosen.config(model, seed=seed, device=device)
    return [dataclasses.replace(config, folds=chosen.audit_folds, fold=fold) for fold in range(chosen.audit_folds)]
