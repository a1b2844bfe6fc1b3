using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;

namespace Ristretto.Tests.Support;

/// <summary>
/// A Kubernetes API server for tests, in this process (HttpListener on 127.0.0.1): it accepts a Job's POST, answers the
/// status GETs and the DELETE the kubernetes launcher sends, and records every request. What a created Job does is up
/// to <see cref="OnCreated"/> (e.g. run its indices as the pods would); <see cref="Conditions"/> says what its status
/// shows. <see cref="KubeConfig"/> writes a kube config that points the client at it.
/// </summary>
public sealed class FakeKubernetesApi : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Thread _thread;

    public FakeKubernetesApi()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "fake kubernetes api" };
        _thread.Start();
    }

    public int Port { get; }

    /// <summary>Every request: method, path and query, body.</summary>
    public ConcurrentQueue<(string Method, string Path, string Body)> Requests { get; } = new();

    /// <summary>Jobs created, by name.</summary>
    public ConcurrentDictionary<string, V1Job> Jobs { get; } = new();

    /// <summary>Called (on a thread of its own) with each Job created.</summary>
    public Action<V1Job>? OnCreated { get; set; }

    /// <summary>The status a Job reports, by name (none: running).</summary>
    public ConcurrentDictionary<string, V1JobStatus> Status { get; } = new();

    /// <summary>A status with one condition of <paramref name="type"/> (Complete or Failed).</summary>
    public static V1JobStatus Conditions(string type, string? failedIndexes = null) => new()
    {
        Conditions = [new V1JobCondition { Type = type, Status = "True" }],
        FailedIndexes = failedIndexes,
    };

    /// <summary>Writes a kube config whose current context is this server (no credentials) to <paramref name="path"/>.</summary>
    public string KubeConfig(string path)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: http://127.0.0.1:{Port}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
            current-context: fake
            users:
            - name: fake
              user:
                token: test
            """);
        return path;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }

    private void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = _listener.GetContext();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Answer(context);
            }
            catch (Exception e)
            {
                Reply(context, 500, $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"{e.GetType().Name}\"}}");
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
            body = reader.ReadToEnd();
        string path = request.Url!.AbsolutePath;
        Requests.Enqueue((request.HttpMethod, request.Url.PathAndQuery, body));
        const string jobs = "/apis/batch/v1/namespaces/";
        if (!path.StartsWith(jobs, StringComparison.Ordinal))
        {
            Reply(context, 404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");
            return;
        }
        var parts = path[jobs.Length..].Split('/'); // {namespace}/jobs[/{name}[/status]]
        if (request.HttpMethod == "POST" && parts.Length == 2 && parts[1] == "jobs")
        {
            var job = KubernetesJson.Deserialize<V1Job>(body);
            Jobs[job.Metadata.Name] = job;
            Reply(context, 201, KubernetesJson.Serialize(job));
            if (OnCreated is { } created)
                new Thread(() => created(job)) { IsBackground = true, Name = "fake pods" }.Start();
            return;
        }
        if (parts.Length >= 3 && Jobs.TryGetValue(parts[2], out var known))
        {
            if (request.HttpMethod == "GET")
            {
                known.Status = Status.TryGetValue(parts[2], out var status) ? status : new V1JobStatus { Active = 1 };
                Reply(context, 200, KubernetesJson.Serialize(known));
                return;
            }
            if (request.HttpMethod == "DELETE")
            {
                Jobs.TryRemove(parts[2], out _);
                Reply(context, 200, """{"kind":"Status","apiVersion":"v1","status":"Success"}""");
                return;
            }
        }
        Reply(context, 404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");
    }

    private static void Reply(HttpListenerContext context, int code, string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }
}
