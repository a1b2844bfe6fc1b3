using Ristretto.Data.Images;
using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// What a Caffe prototxt's TEST-phase <c>Data</c> or <c>ImageData</c> layer says about its data: the source (an LMDB
/// folder or an ImageData list; relative paths taken from the prototxt's folder) and the preprocessing of its
/// <c>transform_param</c> (and the older fields of <c>data_param</c>/<c>image_data_param</c>): scale, mean file or mean
/// values, crop, mirror, ImageData's resize (OpenCV bilinear), channels as stored (BGR for Caffe's tools).
/// </summary>
public sealed record CaffeDataLayer(string Layer, string Type, string Source, string? Root, Preprocessing Preprocessing)
{
    /// <summary>The TEST data layer of <paramref name="prototxt"/>, or null when it has none (a deploy net).</summary>
    public static CaffeDataLayer? Read(string prototxt)
    {
        var net = CaffePhaseFilter.Select(CaffePrototxt.LoadNet(prototxt), Phase.Test);
        var layer = net.Layer.FirstOrDefault(l => l.Type is "Data" or "ImageData");
        if (layer == null)
            return null;
        string folder = Path.GetDirectoryName(Path.GetFullPath(prototxt))!;
        string? Resolve(string? path) => string.IsNullOrEmpty(path) ? null : Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path));
        var t = layer.TransformParam;
        var d = layer.DataParam;
        var i = layer.ImageDataParam;
        float scale = t?.HasScale == true ? t.Scale : d?.HasScale == true ? d.Scale : i?.HasScale == true ? i.Scale : 1;
        string? meanFile = Resolve(t?.MeanFile is { Length: > 0 } m ? m : d?.MeanFile is { Length: > 0 } dm ? dm : i?.MeanFile);
        uint crop = t?.CropSize is > 0 ? t.CropSize : d?.CropSize is > 0 ? d.CropSize : i?.CropSize ?? 0;
        bool mirror = t?.Mirror == true || d?.Mirror == true || i?.Mirror == true;
        var p = new Preprocessing
        {
            Preset = "caffe",
            PixelScale = scale,
            MeanFile = meanFile,
            PixelMean = t?.MeanValue.Count > 0 ? [.. t.MeanValue] : null,
            Crop = crop > 0 ? [(int)crop, (int)crop] : null,
            Mirror = mirror,
            ResizeTo = i is { NewHeight: > 0, NewWidth: > 0 } ? [(int)i.NewHeight, (int)i.NewWidth] : null,
            Interpolation = Interpolation.Linear,
            CropRounding = CropRounding.Floor,
        };
        if (p.MeanFile != null && p.PixelMean != null)
            throw new RistrettoException($"{prototxt}: layer '{layer.Name}' gives both mean_file and mean_value (Caffe refuses that too)");
        string source = Resolve(d?.Source ?? i?.Source) ?? throw new RistrettoException($"{prototxt}: data layer '{layer.Name}' names no source");
        return new CaffeDataLayer(layer.Name, layer.Type, source, i is { RootFolder.Length: > 0 } ? Resolve(i.RootFolder) : null, p);
    }
}
