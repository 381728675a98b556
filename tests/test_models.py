"""The model registry: shapes, the write-up's parameter count, the Grad-CAM layer."""

import pytest
import torch

from fmnist_lib.errors import ConfigError
from fmnist_lib.training.model_parts import gradcam_layer
from fmnist_lib.training.models import MODEL_NAMES, build_model, count_parameters


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_output_shape_and_input_untouched(name):
    model = build_model(name).eval()
    x = torch.rand(3, 1, 28, 28)
    before = x.clone()
    with torch.no_grad():
        assert model(x).shape == (3, 10)
    assert torch.equal(x, before)


def test_custom_cnn_parameter_count():
    assert count_parameters(build_model("custom_cnn")) == 871_530


@pytest.mark.parametrize("name, count", [("vgg16", 14_847_434), ("vgg19", 20_157_130), ("resnet18", 11_175_370)])
def test_adapted_parameter_counts(name, count):
    assert count_parameters(build_model(name)) == count


@pytest.mark.parametrize("name, side", [("custom_cnn", 14), ("vgg16", 7), ("vgg19", 7), ("resnet18", 7)])
def test_gradcam_layer_resolves_to_a_spatial_map(name, side):
    model = build_model(name).eval()
    layer = gradcam_layer(model)
    assert any(layer is module for module in model.modules())
    shapes = []
    handle = layer.register_forward_hook(lambda module, inputs, output: shapes.append(output.shape))
    with torch.no_grad():
        model(torch.rand(2, 1, 28, 28))
    handle.remove()
    assert shapes[0][0] == 2 and shapes[0][-2:] == (side, side)


def test_normalisation_is_the_first_layer():
    model = build_model("custom_cnn", mean=0.5, std=0.25)
    assert torch.allclose(model.normalize(torch.full((1, 1, 2, 2), 0.75)), torch.ones(1, 1, 2, 2))
    assert set(model.state_dict()) >= {"normalize.mean", "normalize.std"}


def test_built_from_scratch_with_seed():
    torch.manual_seed(0)
    first = build_model("resnet18").state_dict()
    torch.manual_seed(0)
    second = build_model("resnet18").state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_unknown_model_lists_names():
    with pytest.raises(ConfigError, match="Unknown model 'vgg17'. Choose one of: custom_cnn, vgg16, vgg19, resnet18"):
        build_model("vgg17")
