namespace Backbone.Chaos.Checkers;

/// <summary>
/// The limits of one check, shared by the searches of all its keys: steps, wall-clock time and
/// cancellation. The clock is read every <see cref="ClockEverySteps"/> steps only, because a step
/// costs tens of nanoseconds and reading the clock about as much.
/// </summary>
internal sealed class SearchBudget
{
    private const int ClockEverySteps = 4096;

    private readonly CheckerOptions options;
    private readonly long startTicks;
    private readonly CancellationToken cancellationToken;

    public SearchBudget(CheckerOptions options, CancellationToken cancellationToken)
    {
        this.options = options;
        this.cancellationToken = cancellationToken;
        startTicks = options.Time.GetTimestamp();
    }

    public long Steps { get; private set; }

    public TimeSpan Elapsed => options.Time.GetElapsedTime(startTicks);

    public int MaxCacheEntries => options.MaxCacheEntries;

    /// <summary>Why the budget ran out; null while it has not.</summary>
    public string? Exhausted { get; private set; }

    /// <summary>Counts one step; false once any limit is hit (and stays false).</summary>
    /// <exception cref="OperationCanceledException">The caller canceled the check.</exception>
    public bool TryStep()
    {
        Steps++;
        if (Steps > options.MaxSteps)
        {
            Exhausted ??= $"the step budget ({options.MaxSteps} steps) ran out";
            return false;
        }

        if (Steps % ClockEverySteps == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Elapsed > options.Timeout)
            {
                Exhausted ??= $"the timeout ({options.Timeout.TotalSeconds:0.###} s) passed";
                return false;
            }
        }

        return Exhausted is null;
    }

    /// <summary>Records that a key's state cache is full; the search must stop.</summary>
    public void CacheFull() => Exhausted ??= $"the state cache reached its bound ({options.MaxCacheEntries} states for one key)";
}
