using System.Net;

namespace Berth.Distribution.Client;

/// <summary>Retries what a registry asks to retry: 429 and 502/503/504 (honouring <c>Retry-After</c>, each wait
/// capped at <see cref="MaxWait"/>), and a connection that failed before any answer on a request without a body
/// to replay. At most <see cref="MaxAttempts"/> tries, so a registry that keeps refusing fails the command in
/// bounded time.</summary>
public sealed class RetryHandler(TimeProvider time) : DelegatingHandler
{
    public const int MaxAttempts = 4;
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        bool replayable = request.Content is null or ByteArrayContent;
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, ct);
            }
            catch (HttpRequestException e) when (replayable && attempt < MaxAttempts && e.InnerException is not System.Security.Authentication.AuthenticationException
                                                 && e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded)
            {
                await Task.Delay(Backoff(attempt), time, ct);
                continue;
            }
            if (!replayable || attempt >= MaxAttempts || !IsRetryable(response.StatusCode)) return response;
            var wait = RetryAfter(response) ?? Backoff(attempt);
            if (wait > MaxWait) return response; // the registry asks for longer than we wait: report it
            response.Dispose();
            await Task.Delay(wait, time, ct);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } ra) return null;
        if (ra.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (ra.Date is { } date)
        {
            var d = date - time.GetUtcNow();
            return d < TimeSpan.Zero ? TimeSpan.Zero : d;
        }
        return null;
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(200 * (1 << (attempt - 1)));
}
