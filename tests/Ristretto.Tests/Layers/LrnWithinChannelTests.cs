using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class LrnWithinChannelTests
{
    [Fact]
    public void Should_Normalise_Within_Channel_By_The_Zero_Padded_Window_Mean_As_Caffe()
    {
        using var lrn = new LrnLayer("n", size: 3, alpha: 0.5, beta: 0.75, withinChannel: true);
        using var scope = NewDisposeScope();
        float[] v = [1, -2, 3, 4, 0.5f, -1, 2, 2, -3];
        var y = lrn.forward([tensor(v, [1, 1, 3, 3])])[0].flatten().data<float>().ToArray();
        for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
        {
            double sum = 0;
            for (int i = r - 1; i <= r + 1; i++)
            for (int j = c - 1; j <= c + 1; j++)
                if (i is >= 0 and < 3 && j is >= 0 and < 3)
                    sum += v[i * 3 + j] * v[i * 3 + j];
            // Caffe divides by the full window (9) even at the border, where the padding counts as zeros.
            Assert.Equal(v[r * 3 + c] * Math.Pow(1 + 0.5 * sum / 9, -0.75), y[r * 3 + c], 5);
        }
    }
}
