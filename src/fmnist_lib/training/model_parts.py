"""What the report knows about each architecture beyond how to build and train it: its display name, the layer
Grad-CAM reads, and the layer groups the saliency check re-initialises, innermost last.

Kept apart from `models.py` on purpose: that module builds the networks, so its source is part of every run's
key (`runs/fingerprint.py`), while nothing here changes what a run computes. Renaming a model on the page or
choosing another Grad-CAM layer re-draws the pages and keeps every cached run. Display names sit here, low in
the flow, because runs, analyses and claims name models as pages do.
"""

from __future__ import annotations

from torch import nn
from torchvision import models as tv_models

from .models import Classifier, CustomCNN

MODEL_LABELS = {"custom_cnn": "Custom CNN", "vgg16": "VGG-16", "vgg19": "VGG-19", "resnet18": "ResNet-18"}


def model_label(name: str) -> str:
    """The display name of a registry model ('vgg16' -> 'VGG-16')."""
    return MODEL_LABELS.get(name, name)


def gradcam_layer(model: Classifier) -> nn.Module:
    """The layer Grad-CAM reads: the last conv stage whose map is still at least 7 x 7.

    custom_cnn: the last conv of block 2 (14 x 14, the write-up's choice);
    VGG: the last conv before the third pool (7 x 7); ResNet-18: layer2 (7 x 7).
    """
    net = model.net
    if isinstance(net, CustomCNN):
        return [m for m in net.features[-1] if isinstance(m, nn.Conv2d)][-1]
    if isinstance(net, tv_models.VGG):
        pools = [i for i, layer in enumerate(net.features) if isinstance(layer, nn.MaxPool2d)]
        return [m for m in net.features[: pools[-1]] if isinstance(m, nn.Conv2d)][-1]
    if isinstance(net, tv_models.ResNet):
        return net.layer2[-1]
    raise TypeError(f"no Grad-CAM layer known for {type(net).__name__}")


def _conv_groups(block: nn.Sequential, name: str) -> list[tuple[str, list[nn.Module]]]:
    """Each convolution of a block with the BatchNorm that follows it, last convolution first."""
    layers = list(block)
    groups = [[layer] + [n for n in layers[i + 1: i + 2] if isinstance(n, nn.BatchNorm2d)]
              for i, layer in enumerate(layers) if isinstance(layer, nn.Conv2d)]
    return [(f"{name}, conv {i + 1}", group) for i, group in reversed(list(enumerate(groups)))]


def _vgg_blocks(features: nn.Sequential) -> list[list[nn.Module]]:
    """VGG's convolution blocks: the runs of layers between poolings (or the identities that replaced them)."""
    blocks, current = [], []
    for layer in features:
        if isinstance(layer, (nn.MaxPool2d, nn.Identity)):
            blocks.append(current)
            current = []
        else:
            current.append(layer)
    return blocks + ([current] if current else [])


def randomisation_stages(model: Classifier) -> list[tuple[str, list[nn.Module]]]:
    """The model's layer groups from the output backwards, each named, as the cascade re-initialises them.

    custom CNN: output layer, hidden layer, then each convolution (with its BatchNorm);
    VGG: output layer, hidden layer, then the five convolution blocks; ResNet-18: the
    output layer, its four stages and the stem.
    """
    net = model.net
    if isinstance(net, CustomCNN):
        stages = [("output layer", [net.classifier[-1]]), ("hidden layer", [net.classifier[1], net.classifier[2]])]
        for index in reversed(range(len(net.features))):
            stages += _conv_groups(net.features[index], f"block {index + 1}")
        return stages
    if isinstance(net, tv_models.VGG):
        blocks = _vgg_blocks(net.features)
        return ([("output layer", [net.classifier[-1]]), ("hidden layer", [net.classifier[0]])]
                + [(f"block {i + 1}", blocks[i]) for i in reversed(range(len(blocks)))])
    if isinstance(net, tv_models.ResNet):
        return ([("output layer", [net.fc])] + [(name, [getattr(net, name)]) for name in
                                                 ("layer4", "layer3", "layer2", "layer1")]
                + [("stem", [net.conv1, net.bn1])])
    raise TypeError(f"no randomisation stages known for {type(net).__name__}")
