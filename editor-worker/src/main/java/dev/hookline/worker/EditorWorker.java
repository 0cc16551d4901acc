/*
 * The editor worker daemon: leases edit jobs from the registry one at a time and runs them
 * (JobExecution), heartbeating, until stopped. Several workers may share one registry: the
 * registry's SKIP LOCKED leases give each job to one worker, and batches of one branch are leased
 * only in order, so different branches run in parallel and one branch runs strictly in sequence.
 * Reference: DESIGN.md sections 2 and 6 (scale-out with leases and heartbeats).
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Public API (used by tests and other modules that start a worker in-process):
 * <pre>{@code
 * try (EditorWorker w = EditorWorker.create(WorkerConfig.builder(url, token).cacheDir(dir).build())) {
 *     w.runOnce();          // lease and run at most one job, or
 *     w.start();            // run the lease loop on a background thread until close()
 * }
 * }</pre>
 * {@link #close()} is the graceful shutdown: no new leases; a running job may finish within
 * {@link WorkerConfig#shutdownGrace()}, else its lease is released back to the queue.
 */
public final class EditorWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EditorWorker.class);

    /** What {@link #runOnce()} did. */
    public enum Result { IDLE, DONE, FAILED, CANCELLED, LOST, RELEASED }

    private final WorkerConfig config;
    private final RegistryClient client;
    private final BlobCache cache;
    private final WorkerMetrics metrics = new WorkerMetrics();
    private final RegistryOutage outage;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean releaseRequested = new AtomicBoolean();
    private final AtomicReference<JobExecution> current = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread loop;
    private int metricsPort = -1;
    /** Capabilities are recomputed at most every 30 s (idle workers poll every few seconds). */
    private static final long CAPABILITIES_TTL_NANOS = 30_000_000_000L;
    private String capabilities;
    private volatile boolean advertised;
    private long capabilitiesAt;

    private EditorWorker(WorkerConfig config) {
        this.config = config;
        this.client = new RegistryClient(config.registry(), config.token());
        this.cache = new BlobCache(config.cacheDir().resolve("blobs"), config.cacheLimitBytes(), client);
        this.outage = new RegistryOutage(LOG, config.name(), config.outageReport(), metrics, System::nanoTime);
    }

    /** A worker for {@code config}; nothing runs until {@link #start()} or {@link #runOnce()}. */
    public static EditorWorker create(WorkerConfig config) {
        return new EditorWorker(config);
    }

    /** The configuration. */
    public WorkerConfig config() {
        return config;
    }

    /** Counters (jobs by outcome, seconds per phase). */
    public WorkerMetrics metrics() {
        return metrics;
    }

    /** Whether the lease loop reaches the registry, and the current outage if not. */
    public RegistryOutage.Status registryStatus() {
        return outage.status();
    }

    /** The bound Prometheus port, or -1 when metrics are not served. */
    public int metricsPort() {
        return metricsPort;
    }

    /**
     * The name the worker leases under, with its capabilities: device and the models whose
     * checkpoints it has cached, e.g. {@code w1 [device=cpu(); cached-models=1,3]}. The registry
     * records it as the job's {@code leasedBy} (it has no separate capability record).
     */
    public synchronized String capabilities() {
        if (capabilities != null && System.nanoTime() - capabilitiesAt < CAPABILITIES_TTL_NANOS) {
            return capabilities;
        }
        TreeSet<Long> models = new TreeSet<>();
        try {
            var keys = new java.util.HashSet<>(cache.keys());
            for (JsonNode m : client.get("/api/models")) {
                boolean all = m.path("checkpoint").size() > 0;
                for (JsonNode e : m.path("checkpoint")) {
                    all &= keys.contains(e.path("key").asText());
                }
                if (all) {
                    models.add(m.path("id").asLong());
                }
            }
        } catch (RegistryException e) {
            LOG.debug("capabilities: model list unavailable: {}", e.getMessage());
        }
        String device = ai.djl.engine.Engine.getInstance().defaultDevice().toString();
        String list = models.isEmpty() ? "none" : String.join(",", models.stream().map(String::valueOf).toList());
        String caps = config.name() + " [device=" + device + "; cached-models=" + list + "]";
        capabilities = caps.length() > 200 ? caps.substring(0, 200) : caps;
        capabilitiesAt = System.nanoTime();
        return capabilities;
    }

    /**
     * Leases at most one job and runs it to its end on the calling thread.
     *
     * @return IDLE when nothing was leasable, else what became of the job
     */
    public Result runOnce() {
        if (stopping.get()) {
            return Result.IDLE;
        }
        advertise();
        Optional<JsonNode> lease = client.lease(capabilities(), config.modelId(), config.leaseSeconds());
        if (lease.isEmpty()) {
            return Result.IDLE;
        }
        JobExecution job = new JobExecution(config, client, cache, metrics, lease.get(), releaseRequested::get);
        current.set(job);
        try {
            JobExecution.Outcome o = job.run();
            synchronized (this) {
                capabilities = null; // the cache may hold another model now
            }
            metrics.jobFinished(o.name().toLowerCase(java.util.Locale.ROOT));
            return Result.valueOf(o.name());
        } finally {
            current.set(null);
        }
    }

    /**
     * Registers this worker's methods and hyperparameter schema with the registry once (issue 25:
     * the registry then refuses batches no worker can run). A registry that refuses the
     * registration (older API, 4xx) is logged and the worker goes on; an unreachable one is retried
     * with the next lease attempt.
     */
    private void advertise() {
        if (advertised) {
            return;
        }
        var body = RegistryClient.json().createObjectNode();
        body.put("name", config.name());
        if (config.modelId() != null) {
            body.put("modelId", config.modelId());
        }
        body.set("methods", EditMapping.advertisement());
        try {
            client.post("/api/workers", body);
            LOG.info("worker={} registered methods {}", config.name(), EditMapping.SUPPORTED_METHODS);
            advertised = true;
        } catch (RegistryException e) {
            if (e.isTransient()) {
                throw e;
            }
            LOG.warn("worker={} registration refused: {}", config.name(), e.getMessage());
            advertised = true;
        }
    }

    /** Starts the lease loop on a background thread (and the metrics endpoint when configured). */
    public synchronized EditorWorker start() {
        if (loop != null) {
            throw new IllegalStateException("worker already started");
        }
        if (config.metricsPort() >= 0) {
            try {
                metricsPort = metrics.serve(config.metricsPort());
                LOG.info("worker={} metrics on http://{}:{}/metrics", config.name(), WorkerMetrics.host(), metricsPort);
            } catch (java.io.UncheckedIOException e) {
                // Metrics are an aid, not a reason to leave jobs unprocessed.
                LOG.warn("worker={} metrics not served: {}", config.name(), e.getMessage());
            }
        }
        loop = new Thread(this::loop, "editor-worker-" + config.name());
        loop.setDaemon(true);
        loop.start();
        LOG.info("worker={} started (registry {}, lease {} s, cache {} limit {} bytes)", config.name(),
                config.registry(), config.leaseSeconds(), config.cacheDir(), config.cacheLimitBytes());
        return this;
    }

    private void loop() {
        Duration backoff = config.poll();
        try {
            while (!stopping.get()) {
                try {
                    Result r = runOnce();
                    outage.success();
                    backoff = config.poll();
                    if (r == Result.IDLE) {
                        sleep(config.poll());
                    }
                } catch (RegistryException e) {
                    // Unreachable, refusing (401/403) or failing registry: reported once at once, then at a bounded rate.
                    outage.failure(e.getMessage(), backoff);
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30)
                            : backoff.multipliedBy(2);
                } catch (RuntimeException e) {
                    LOG.error("worker={} event=loop-error", config.name(), e);
                    sleep(config.poll());
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    private void sleep(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (!stopping.get() && System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** True while a job is being run. */
    public boolean busy() {
        return current.get() != null;
    }

    /**
     * Graceful shutdown: stops leasing, lets a running job finish within the grace period, else
     * releases its lease (the job goes back to the queue with its attempt count) and returns.
     */
    @Override
    public void close() {
        stopping.set(true);
        if (loop != null) {
            try {
                if (!stopped.await(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                    JobExecution job = current.get();
                    releaseRequested.set(true);
                    if (job != null) {
                        LOG.info("worker={} job={} event=shutdown-release grace={} s", config.name(), job.jobId(),
                                config.shutdownGrace().toSeconds());
                        job.release();
                    }
                    stopped.await(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        metrics.close();
        LOG.info("worker={} stopped (jobs done {}, failed {}, cancelled {}, lost {}, released {})", config.name(),
                metrics.jobs("done"), metrics.jobs("failed"), metrics.jobs("cancelled"), metrics.jobs("lost"),
                metrics.jobs("released"));
    }
}
