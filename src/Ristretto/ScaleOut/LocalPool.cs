using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Ristretto.ScaleOut;

/// <summary>
/// <c>--launcher local:N</c> (or <c>--worker-devices</c>): N long-lived <c>ristretto trial --serve</c> processes on this
/// machine, each pinned to its device (<c>--device cuda:K</c>) or, on the CPU, to its own group of cores (affinity and
/// as many libtorch threads). Each loads the model and data once and scores the indices it is sent on its standard
/// input, one at a time, answering on its standard output. A worker that dies leaves the index it held without a
/// result (the search runs it again) and is started anew for the next one.
/// </summary>
internal sealed class LocalPool : ITrialLauncher
{
    private readonly ScaleOutSettings _settings;
    private readonly Worker?[] _workers;
    private readonly object _gate = new();

    public LocalPool(ScaleOutSettings settings)
    {
        _settings = settings;
        _workers = new Worker?[settings.Workers];
    }

    public int Slots => _workers.Length;

    public bool RetriesItself => false;

    public void Run(TrialBatch batch, Action<string> log, CancellationToken cancel)
    {
        var queue = new ConcurrentQueue<int>(batch.Missing);
        using var stop = cancel.Register(KillAll);
        int reported = -1;
        RistrettoException? failed = null; // a worker that cannot be started (e.g. a wrong --worker-command): the round stops
        var threads = Enumerable.Range(0, _workers.Length).Select(slot => new Thread(() =>
        {
            while (!cancel.IsCancellationRequested && Volatile.Read(ref failed) is null && queue.TryDequeue(out int index))
            {
                Worker? worker;
                try
                {
                    worker = Ensure(slot, batch.Folder, log);
                }
                catch (RistrettoException e)
                {
                    Interlocked.CompareExchange(ref failed, e, null);
                    return;
                }
                string? answer = worker?.Ask(index);
                if (answer is null)
                {
                    if (!cancel.IsCancellationRequested)
                        log($"round {batch.Round}: worker {slot} ended while scoring trial {index} (exit code {(worker?.ExitCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "?")}); see {batch.Folder.LogPath(index)}");
                    Drop(slot);
                    continue;
                }
                if (answer.StartsWith("failed", StringComparison.Ordinal))
                    log($"round {batch.Round}: trial {answer}");
                lock (_gate)
                    TrialLaunchers.ReportDone(batch, ref reported, log);
            }
        })
        { IsBackground = true, Name = $"trial worker {slot}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        cancel.ThrowIfCancellationRequested();
        if (failed is not null)
            throw failed;
    }

    public void Dispose()
    {
        for (int i = 0; i < _workers.Length; i++)
            Drop(i);
    }

    private Worker? Ensure(int slot, WorkFolder folder, Action<string> log)
    {
        lock (_gate)
        {
            if (_workers[slot] is { Alive: true } w)
                return w;
            _workers[slot]?.Dispose();
            string? device = _settings.WorkerDevices.Count > 0 ? _settings.WorkerDevices[slot] : _settings.Device;
            int cores = Environment.ProcessorCount, group = Math.Max(1, cores / _workers.Length);
            int[]? pinned = _settings.WorkerDevices.Count > 0 ? null : Enumerable.Range(slot * group, group).Select(c => c % cores).ToArray();
            _workers[slot] = Worker.Start(_settings.WorkerCommand ?? TrialLaunchers.ThisCommand(), folder, slot, device, pinned, group, log);
            return _workers[slot];
        }
    }

    private void Drop(int slot)
    {
        lock (_gate)
        {
            _workers[slot]?.Dispose();
            _workers[slot] = null;
        }
    }

    private void KillAll()
    {
        lock (_gate)
            foreach (var w in _workers)
                w?.Kill();
    }

    /// <summary>One <c>ristretto trial --serve</c> process.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _stderr;

        private Worker(Process process, StreamWriter stderr) => (_process, _stderr) = (process, stderr);

        public bool Alive => !_process.HasExited;

        public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

        public static Worker Start(IReadOnlyList<string> command, WorkFolder folder, int slot, string? device, int[]? cores, int threads, Action<string> log)
        {
            var psi = new ProcessStartInfo(command[0])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in command.Skip(1))
                psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("trial");
            psi.ArgumentList.Add("--work");
            psi.ArgumentList.Add(folder.Path);
            psi.ArgumentList.Add("--serve");
            if (device is not null)
            {
                psi.ArgumentList.Add("--device");
                psi.ArgumentList.Add(device);
            }
            if (cores is not null)
            {
                psi.ArgumentList.Add("--threads");
                psi.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
            }
            psi.Environment["CI"] = "true"; // plain lines, no live progress rendering
            Process process;
            try
            {
                process = Process.Start(psi)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new RistrettoException($"--launcher local: cannot start the worker {string.Join(' ', command)} ({e.Message}); give --worker-command", e);
            }
            if (cores is not null && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()))
            {
                try
                {
                    process.ProcessorAffinity = (nint)cores.Aggregate(0L, (mask, c) => c < 63 ? mask | (1L << c) : mask);
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or PlatformNotSupportedException)
                {
                    // Pinning is best effort: the worker still runs on its share of threads.
                }
            }
            var stderr = new StreamWriter(Path.Combine(folder.Folder("logs"), $"worker-{slot}.log"), append: true) { AutoFlush = true };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                    lock (stderr)
                        stderr.WriteLine(e.Data);
            };
            process.BeginErrorReadLine();
            log($"worker {slot}: pid {process.Id}{(device is not null ? $" on {device}" : "")}{(cores is not null ? $", cores {string.Join(",", cores)}" : "")}");
            return new Worker(process, stderr);
        }

        /// <summary>Sends an index and waits for the answer ("ok I", "skipped I", "failed I: …"); null when the worker ended.</summary>
        public string? Ask(int index)
        {
            try
            {
                _process.StandardInput.WriteLine(index.ToString(CultureInfo.InvariantCulture));
                _process.StandardInput.Flush();
                return _process.StandardOutput.ReadLine();
            }
            catch (IOException)
            {
                return null;
            }
        }

        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                    _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.StandardInput.Close(); // end of input: the worker exits
                    if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                        Kill();
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                Kill();
            }
            _process.Dispose();
            lock (_stderr)
                _stderr.Dispose();
        }
    }
}
