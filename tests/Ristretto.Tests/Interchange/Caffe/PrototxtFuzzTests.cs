using System.Diagnostics;
using System.Text;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class PrototxtFuzzTests
{
    private const string Alphabet = "{}[]<>:;,-+.#\"'\\\n \t0123456789xefinatrulsTFE_@\u00e9";

    private static string Mutate(string text, Random random)
    {
        var s = new StringBuilder(text);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && s.Length > 0; e++)
        {
            int at = random.Next(s.Length);
            switch (random.Next(5))
            {
                case 0: s.Remove(at, 1); break;
                case 1: s.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                case 2: s[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                default:
                    string[] lines = s.ToString().Split('\n');
                    int line = random.Next(lines.Length);
                    var list = lines.ToList();
                    if (random.Next(2) == 0)
                        list.Insert(line, lines[line]);
                    else
                        list.RemoveAt(line);
                    s = new StringBuilder(string.Join('\n', list));
                    break;
            }
        }
        return s.ToString();
    }

    [Fact]
    public void Should_Only_Ever_Throw_RistrettoException_For_Ten_Thousand_Mutations_Of_LeNet_And_Stay_Fast()
    {
        string original = CaffeFixtures.Text("mnist__lenet_train_test.prototxt");
        var random = new Random(20240611);
        int parsed = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            string text = Mutate(original, random);
            try
            {
                var net = CaffeNet.FromText(text, "fuzz.prototxt", null, null, new NetState { Phase = (Phase)(i % 2) });
                // Whatever parses must also survive the writer and read back equal.
                Assert.Equal(net.Definition, CaffePrototxt.ParseNet(CaffePrototxt.Write(net.Definition), "rewritten.prototxt"));
                parsed++;
            }
            catch (RistrettoException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
        }
        clock.Stop();
        // A guard against hangs, not a speed test: about 3 s here, so 60 s leaves room for a loaded CI machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"10,000 mutations took {clock.Elapsed.TotalSeconds:F1} s");
        // Both outcomes must occur, or the mutations are too weak or too strong to test anything.
        Assert.InRange(parsed, 100, 9_900);
        Assert.InRange(refused, 100, 9_900);
    }
}
