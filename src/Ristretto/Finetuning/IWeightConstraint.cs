namespace Ristretto.Finetuning;

/// <summary>
/// A rule the shadow weights keep through fine-tuning (pruning masks, shared weights): <see cref="FinetuneNetwork"/>
/// calls it at the start of every iteration (where a schedule may change it), on the complete gradients before the
/// solver's step, and on the weights after it. Implementations run under no_grad and own what they hold.
/// </summary>
public interface IWeightConstraint
{
    /// <summary>Called before the forward pass of 0-based <paramref name="iteration"/>: apply what the schedule starts there.</summary>
    void BeginIteration(long iteration);

    /// <summary>Called with the complete gradients, before the solver's step.</summary>
    void ConstrainGradients();

    /// <summary>Called after the solver's step.</summary>
    void ConstrainWeights();
}
