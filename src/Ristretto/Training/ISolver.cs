using Ristretto.Engine;
using Ristretto.Models;

namespace Ristretto.Training;

/// <summary>
/// A solver updating a model's parameters from the gradients they hold. Its state (momentum, moment
/// estimates) can be exported for a checkpoint and restored bit for bit, so a resumed run continues exactly.
/// </summary>
public interface ISolver : IDisposable
{
    /// <summary>Applies one update for 0-based <paramref name="iteration"/> using the gradients now held.</summary>
    void Step(long iteration);

    /// <summary>The solver's state as plain data, for a checkpoint.</summary>
    IReadOnlyList<TensorBlob> ExportState();

    /// <summary>Restores state written by <see cref="ExportState"/>; a mismatch is a <see cref="RistrettoException"/>.</summary>
    void ImportState(IEnumerable<TensorBlob> state);
}
