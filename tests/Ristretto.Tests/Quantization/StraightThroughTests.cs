using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

public class StraightThroughTests
{
    private static readonly float[] Inputs = [-20f, -16f, -3.3f, -0.06f, -0f, 0f, 0.0625f, 1.44f, 15.875f, 15.9f, 100f];

    [Fact]
    public void Should_Return_The_Trimmed_Bits_In_The_Forward_Pass()
    {
        using var scope = NewDisposeScope();
        var format = new DynamicFixedPoint(8, 3);
        var x = tensor(Inputs).requires_grad_(true);
        var y = StraightThrough.Trim(format, x);
        var expected = format.Trim(x.detach());
        Assert.Equal(expected.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits),
            y.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Should_Pass_The_Gradient_Inside_The_Range_And_Block_It_Where_The_Format_Saturates()
    {
        using var scope = NewDisposeScope();
        var format = new DynamicFixedPoint(8, 3);                 // range [-16, 15.875]
        var x = tensor(Inputs).requires_grad_(true);
        StraightThrough.Trim(format, x, Rounding.Stochastic, 3).sum().backward();
        float[] expected = [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        Assert.Equal(expected, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Should_Block_The_Gradient_Of_Infinite_And_NaN_Inputs_Without_Poisoning_Others()
    {
        using var scope = NewDisposeScope();
        var format = new MiniFloat(4, 3);
        var x = tensor(new[] { float.NaN, float.PositiveInfinity, 1.3f }).requires_grad_(true);
        var y = StraightThrough.Trim(format, x);
        y.sum().backward();
        Assert.Equal(new[] { 0f, 0f, 1f }, x.grad!.data<float>().ToArray());
        Assert.Equal(new[] { 480f, 480f, 1.25f }, y.data<float>().ToArray());
    }

    [Fact]
    public void Should_Use_The_Per_Channel_Range_For_The_Gradient_Mask()
    {
        using var scope = NewDisposeScope();
        var format = IntegerFormat.PerChannel(4, 0, [0.1f, 1f]);   // ranges [-0.8, 0.7] and [-8, 7]
        var x = tensor(new[] { 0.75f, 0.75f, -9f, -7.9f }).reshape(2, 2).requires_grad_(true);
        StraightThrough.Trim(format, x).sum().backward();
        Assert.Equal(new[] { 0f, 0f, 0f, 1f }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Should_Not_Record_A_Graph_When_The_Input_Needs_No_Gradient()
    {
        using var scope = NewDisposeScope();
        var y = StraightThrough.Trim(new PowerOfTwo(), tensor(new[] { 0.3f }));
        Assert.False(y.requires_grad);
        Assert.Equal(0.25f, y.data<float>()[0]);
    }
}
