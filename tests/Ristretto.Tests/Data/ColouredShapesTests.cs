using Ristretto.Data.Sources;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Data;

public class ColouredShapesTests
{
    [Fact]
    public void Should_Write_A_Cifar10_Folder_With_Every_Class_And_The_Same_Bytes_For_The_Same_Seed()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        ColouredShapes.WriteCifar10(a.Path, trainPerBatch: 40, test: 50);
        ColouredShapes.WriteCifar10(b.Path, trainPerBatch: 40, test: 50);

        var (train, test) = CifarSource.Open(a.Path);
        using (train)
        using (test)
        {
            Assert.Equal(200, train.Count);
            Assert.Equal(50, test.Count);
            Assert.Equal(10, train.Classes);
            Assert.Equal(ColouredShapes.ClassNames, train.ClassNames);
            Assert.Equal(Enumerable.Range(0, 10), Enumerable.Range(0, train.Count).Select(train.Label).Distinct().Order());
        }
        foreach (var name in Directory.GetFiles(a.Path).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(a.File(name!)), File.ReadAllBytes(b.File(name!)));
        Assert.NotEqual(File.ReadAllBytes(a.File("data_batch_1.bin")), File.ReadAllBytes(a.File("data_batch_2.bin")));
    }
}
