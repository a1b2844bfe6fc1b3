using System.Text.Json;
using Ristretto.Models;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>
/// Saves and restores a training run: weights, the solver's momentum, the iteration reached and the
/// settings, in a model file. A final model keeps its solver state too, so training can be extended.
/// </summary>
public static class TrainingCheckpoint
{
    private sealed record State(int Iteration, SolverSettings Settings);

    /// <summary>Writes the run's state atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, string architecture, int classes, nn.Module model, ISolver solver,
        SolverSettings settings, int iteration, Dictionary<string, string>? metadata = null)
    {
        var state = JsonSerializer.SerializeToElement(new State(iteration, settings), ModelFile.Json);
        var data = ModelStore.Capture(architecture, classes, model, metadata, new SolverState(state, solver.ExportState()));
        ModelFile.Save(path, data);
    }

    /// <summary>Reads the iteration and settings a checkpoint holds; a file without solver state is an error.</summary>
    public static (int Iteration, SolverSettings Settings) ReadState(ModelData data, string path)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Solver is null)
            throw new RistrettoException($"{path} holds no solver state, so training cannot resume from it");
        State? state;
        try
        {
            state = data.Solver.State.Deserialize<State>(ModelFile.Json);
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"{path}: malformed solver state: {e.Message.Split('\n')[0]}", e);
        }
        if (state is null)
            throw new RistrettoException($"{path}: empty solver state");
        return (state.Iteration, state.Settings);
    }
}
