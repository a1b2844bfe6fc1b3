using Ristretto.Engine;
using Ristretto.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// Knowledge distillation from the float network (Hinton et al., 2015; listed among the approximation
/// techniques of the DNN approximation survey): the trimmed student learns from the labels and from the
/// teacher's softened outputs, loss = (1 − α)·CE(s, y) + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), batch mean.
/// </summary>
public static class Distillation
{
    /// <summary>The distillation loss with a frozen <paramref name="teacher"/> (kept in eval mode, run without gradients).</summary>
    public static TrainingLoss Loss(nn.Module<Tensor, Tensor> teacher, double temperature, double alpha)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new RistrettoException($"distillation temperature must be positive, got {temperature}");
        if (alpha is < 0 or > 1 || double.IsNaN(alpha))
            throw new RistrettoException($"distillation weight must be in [0, 1], got {alpha}");
        teacher.eval();
        return (logits, labels, images) =>
        {
            Tensor target;
            using (no_grad())
                target = nn.functional.log_softmax(teacher.forward(images).Over(temperature), 1);
            var student = nn.functional.log_softmax(logits.Over(temperature), 1);
            var kl = (target.exp() * (target - student)).sum(1).mean().Times(temperature * temperature);
            var ce = nn.functional.cross_entropy(logits, labels);
            return ce.Times(1 - alpha).Plus(kl.Times(alpha));
        };
    }
}
