/*
 * Settings of one editor worker: where the registry is, how it leases and heartbeats, where it
 * caches blobs and how much disk the cache may use, how much it evaluates.
 */
package dev.hookline.worker;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Validated worker configuration. Build with {@link #builder(URI, String)}.
 *
 * @param registry registry root URL
 * @param token bearer token with the WORKER role (ADMIN as well for onboarding and GC)
 * @param name worker name reported in leases (principal/name in the registry)
 * @param cacheDir local cache (blobs, working directories)
 * @param cacheLimitBytes size limit of the blob cache; least recently used blobs are evicted
 * @param leaseSeconds lease asked for at lease time and extended by each heartbeat
 * @param heartbeat interval between heartbeats (well below the lease)
 * @param poll wait between lease attempts when no job is leasable
 * @param modelId only lease jobs of this model (null = any)
 * @param regressionSample at most this many earlier edits of the branch are re-evaluated (sampled beyond)
 * @param statisticsLines corpus lines for C0 when statistics must be computed
 * @param metricsPort Prometheus endpoint port (0 = a free port, -1 = none)
 * @param shutdownGrace how long a graceful stop lets a running job finish before releasing its lease
 * @param outageReport while the registry cannot be reached, how often the lease loop repeats its
 *     warning (the first failure is logged at once; RegistryOutage)
 */
public record WorkerConfig(URI registry, String token, String name, Path cacheDir, long cacheLimitBytes,
        int leaseSeconds, Duration heartbeat, Duration poll, Long modelId, int regressionSample,
        int statisticsLines, int metricsPort, Duration shutdownGrace, Duration outageReport) {

    public WorkerConfig {
        if (registry == null || registry.getScheme() == null) {
            throw new IllegalArgumentException("registry URL is required (http://host:port)");
        }
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("a registry token with the WORKER role is required");
        }
        if (name == null || name.isBlank() || name.length() > 100) {
            throw new IllegalArgumentException("worker name must be 1..100 characters");
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("cacheDir is required");
        }
        if (cacheLimitBytes < 1 << 20) {
            throw new IllegalArgumentException("cache limit must be at least 1 MiB, got " + cacheLimitBytes);
        }
        if (leaseSeconds < 2 || leaseSeconds > 3600) {
            throw new IllegalArgumentException("leaseSeconds must be in [2, 3600], got " + leaseSeconds);
        }
        if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()
                || heartbeat.toMillis() * 2 > leaseSeconds * 1000L) {
            throw new IllegalArgumentException("heartbeat must be positive and at most half the lease (" + leaseSeconds
                    + " s), got " + heartbeat);
        }
        if (poll == null || poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive");
        }
        if (regressionSample < 0) {
            throw new IllegalArgumentException("regressionSample must be >= 0");
        }
        if (statisticsLines < 0) {
            throw new IllegalArgumentException("statisticsLines must be >= 1 (0: the engine's default, max(1000, ceil(5 d_ff / 2)))");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException("metricsPort must be -1 (off), 0 (free port) or a port");
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must be >= 0");
        }
        if (outageReport == null || outageReport.toMillis() < 100) {
            throw new IllegalArgumentException("outageReport must be at least 100 ms, got " + outageReport);
        }
        cacheDir = cacheDir.toAbsolutePath();
    }

    /**
     * A builder with defaults: 60 s lease, 10 s heartbeat, 2 s poll, 10 GiB cache under
     * ~/.hookline/worker, registry outages reported every 60 s.
     */
    public static Builder builder(URI registry, String token) {
        return new Builder(registry, token);
    }

    /** Mutable builder of {@link WorkerConfig}. */
    public static final class Builder {
        private final URI registry;
        private final String token;
        private String name = defaultName();
        private Path cacheDir = Path.of(System.getProperty("user.home"), ".hookline", "worker");
        private long cacheLimitBytes = 10L << 30;
        private int leaseSeconds = 60;
        private Duration heartbeat = Duration.ofSeconds(10);
        private Duration poll = Duration.ofSeconds(2);
        private Long modelId;
        private int regressionSample = 200;
        private int statisticsLines = dev.hookline.engine.edit.LayerStatistics.AUTO_LINES;
        private int metricsPort = -1;
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Duration outageReport = Duration.ofSeconds(60);

        private Builder(URI registry, String token) {
            this.registry = registry;
            this.token = token;
        }

        public Builder name(String v) { name = v; return this; }
        public Builder cacheDir(Path v) { cacheDir = v; return this; }
        public Builder cacheLimitBytes(long v) { cacheLimitBytes = v; return this; }
        public Builder leaseSeconds(int v) { leaseSeconds = v; return this; }
        public Builder heartbeat(Duration v) { heartbeat = v; return this; }
        public Builder poll(Duration v) { poll = v; return this; }
        public Builder modelId(Long v) { modelId = v; return this; }
        public Builder regressionSample(int v) { regressionSample = v; return this; }
        public Builder statisticsLines(int v) { statisticsLines = v; return this; }
        public Builder metricsPort(int v) { metricsPort = v; return this; }
        public Builder shutdownGrace(Duration v) { shutdownGrace = v; return this; }
        public Builder outageReport(Duration v) { outageReport = v; return this; }

        /** Validates and builds. */
        public WorkerConfig build() {
            return new WorkerConfig(registry, token, name, cacheDir, cacheLimitBytes, leaseSeconds, heartbeat, poll,
                    modelId, regressionSample, statisticsLines, metricsPort, shutdownGrace, outageReport);
        }
    }

    private static String defaultName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "worker");
        return host + "-" + ProcessHandle.current().pid();
    }
}
