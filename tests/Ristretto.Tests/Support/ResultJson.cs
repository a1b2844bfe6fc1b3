using System.Text.Json.Nodes;
using Ristretto.Jobs;

namespace Ristretto.Tests.Support;

/// <summary>A job's --json document as compared between a serial and a fanned-out search.</summary>
public static class ResultJson
{
    /// <summary>The fields that count work (evaluations, seconds, the scale-out summary, the search cost: a fanned-out search scores trials ahead of what it reads): they may differ between the runs.</summary>
    public static readonly string[] WorkFields = ["evaluations", "seconds", "scale_out", "search_cost"];

    /// <summary>The document (a ToJson dictionary or a parsed node) without <see cref="WorkFields"/>, at any depth, as text.</summary>
    public static string WithoutWorkFields(object document) => Without(document, WorkFields);

    /// <summary>The document (a ToJson dictionary or a parsed node) without the named fields, at any depth, as text.</summary>
    public static string Without(object document, params string[] fields)
    {
        var node = document as JsonNode ?? JsonNode.Parse(JobJson.Serialize((Dictionary<string, object?>)document))!;
        Strip(node);
        return node.ToJsonString();

        void Strip(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var field in fields)
                        o.Remove(field);
                    foreach (var (_, child) in o)
                        Strip(child);
                    break;
                case JsonArray a:
                    foreach (var child in a)
                        Strip(child);
                    break;
            }
        }
    }
}
