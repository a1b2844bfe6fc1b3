using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

public class LearnedStepTests
{
    private static readonly float[] Inputs = [-3f, -1.06f, -0.2f, 0f, 0.31f, 0.77f, 1.5f, 2.9f];

    [Fact]
    public void Should_Give_The_Integer_Format_Value_In_The_Forward_Pass()
    {
        using var scope = NewDisposeScope();
        var x = tensor(Inputs).requires_grad_(true);
        var s = tensor(new[] { 0.2f }).requires_grad_(true);
        var y = LearnedStep.Quantize(x, s, -8, 7, 1.0);
        var expected = Inputs.Select(v => (float)IntegerFormat.Symmetric(4, 0.2f).Quantize(v)).ToArray();
        Assert.Equal(expected, y.data<float>().ToArray());
    }

    [Fact]
    public void Should_Follow_The_Lsq_Gradients_For_Input_And_Step()
    {
        using var scope = NewDisposeScope();
        const float step = 0.2f;
        const long qmin = -8, qmax = 7;
        double g = LearnedStep.GradScale(Inputs.Length, qmax);
        var x = tensor(Inputs).requires_grad_(true);
        var s = tensor(new[] { step }).requires_grad_(true);
        LearnedStep.Quantize(x, s, qmin, qmax, g).sum().backward();

        double expectedStepGrad = 0;
        var expectedInputGrad = new float[Inputs.Length];
        for (int i = 0; i < Inputs.Length; i++)
        {
            float v = Inputs[i] / step;
            if (v <= qmin)
                expectedStepGrad += qmin;
            else if (v >= qmax)
                expectedStepGrad += qmax;
            else
            {
                expectedStepGrad += MathF.Round(v) - v;
                expectedInputGrad[i] = 1;
            }
        }
        Assert.Equal(expectedInputGrad, x.grad!.data<float>().ToArray());
        Assert.Equal(expectedStepGrad * g, s.grad!.data<float>()[0], 5);
    }

    [Fact]
    public void Should_Sum_The_Step_Gradient_Per_Channel()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.33f, 5f, 0.33f, 5f }).reshape(2, 2).requires_grad_(true);
        var s = tensor(new[] { 0.1f, 1f }).reshape(2, 1).requires_grad_(true);
        LearnedStep.Quantize(x, s, -4, 3, 1.0, channelAxis: 0).sum().backward();
        // channel 0: 0.33/0.1 = 3.3 → above qmax 3 (saturates, +3), 5/0.1 → +3; channel 1: 0.33 → round(0.33) - 0.33, 5 → +3.
        var grads = s.grad!.data<float>().ToArray();
        Assert.Equal(6f, grads[0], 5);
        Assert.Equal(-0.33f + 3f, grads[1], 5);
    }

    [Fact]
    public void Should_Follow_The_Lsq_Plus_Gradients_For_Offset()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -2f, -0.5f, 0.2f, 1.1f, 9f }).requires_grad_(true);
        var s = tensor(new[] { 0.25f }).requires_grad_(true);
        var beta = tensor(new[] { -0.5f }).requires_grad_(true);
        var y = LearnedStep.QuantizeWithOffset(x, s, beta, 0, 15, 0.5);
        y.sum().backward();
        // (x - β)/s = [-6, 0, 2.8, 6.4, 38]: -6 and 38 are outside [0, 15] (0 is on the lower clamp).
        Assert.Equal(new[] { -0.5f, -0.5f, 0.25f, 1f, 3.25f }, y.data<float>().ToArray());
        Assert.Equal(new[] { 0f, 0f, 1f, 1f, 0f }, x.grad!.data<float>().ToArray());
        Assert.Equal(3 * 0.5f, beta.grad!.data<float>()[0], 5);
        double expectedS = 0.5 * (0 + 0 + (3 - 2.8) + (6 - 6.4) + 15);
        Assert.Equal(expectedS, s.grad!.data<float>()[0], 4);
    }

    [Fact]
    public void Should_Scale_The_Step_Gradient_By_One_Over_Root_N_Qp()
    {
        Assert.Equal(1 / Math.Sqrt(1000 * 127.0), LearnedStep.GradScale(1000, 127), 12);
    }

    [Fact]
    public void Should_Initialise_The_Step_From_The_Mean_Magnitude()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(2 * 2.0 / Math.Sqrt(4), LearnedStep.InitialScale(tensor(new[] { -2f, 2f }), 4), 6);
    }
}
