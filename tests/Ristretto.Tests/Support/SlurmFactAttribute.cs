namespace Ristretto.Tests.Support;

/// <summary>
/// A fact that starts a real single-node Slurm on this machine (build/slurm-single-node.sh: root, apt-get install
/// slurm-wlm munge when missing, daemons left running); skipped, saying why, unless the environment sets
/// <c>RISTRETTO_SLURM_TESTS=1</c>.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns the Slurm test on.</summary>
    public const string Variable = "RISTRETTO_SLURM_TESTS";

    public SlurmFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"starts a single-node Slurm as root (build/slurm-single-node.sh); set {Variable}=1";
    }
}
