using Ristretto.Interchange.Onnx.Importer;

namespace Ristretto.Tests.Interchange.Onnx;

public class OnnxFuzzTests
{
    /// <summary>10,200 random byte flips, truncations and insertions of three valid models: an import succeeds or is a RistrettoException.</summary>
    [Theory]
    [InlineData("test_Conv2d_groups")]
    [InlineData("test_PixelShuffle")]
    [InlineData("test_BatchNorm2d_eval")]
    public void Should_Only_Ever_Throw_RistrettoException_On_Mutated_Models(string name)
    {
        var original = File.ReadAllBytes(Path.Combine(OnnxFixtures.Ops, name, "model.onnx"));
        var random = new Random(name.Length);
        var unexpected = new List<string>();
        for (int trial = 0; trial < 3400; trial++)
        {
            var bytes = Mutate(original, random);
            try
            {
                using var net = OnnxImporter.Load(bytes, "fuzz.onnx");
            }
            catch (RistrettoException)
            {
            }
            catch (Exception e)
            {
                unexpected.Add($"trial {trial}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
        }
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Distinct().Take(10)));
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 2: bytes.RemoveRange(at, Math.Min(random.Next(1, 8), bytes.Count - at)); break;
                default: bytes.Insert(at, (byte)random.Next(256)); break;
            }
            if (bytes.Count == 0)
                bytes.Add(0);
        }
        return [.. bytes];
    }
}
