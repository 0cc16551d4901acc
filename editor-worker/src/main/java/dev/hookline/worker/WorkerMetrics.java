/*
 * Worker metrics in the Prometheus text exposition format (version 0.0.4), served by the JDK's
 * own HttpServer on --metrics-port: jobs by outcome, seconds spent per phase, the job running now,
 * whether the registry answers and how many lease attempts failed.
 * Hand-written instead of a metrics library: a handful of series do not justify a dependency.
 */
package dev.hookline.worker;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/** Counters of one worker; thread-safe. */
public final class WorkerMetrics implements AutoCloseable {
    private final Map<String, AtomicLong> jobs = new TreeMap<>();
    private final Map<String, DoubleAdder> phaseSeconds = new TreeMap<>();
    private final Map<String, AtomicLong> phaseCount = new TreeMap<>();
    private final AtomicLong running = new AtomicLong();
    private final AtomicLong registryUp = new AtomicLong(1);
    private final AtomicLong registryFailures = new AtomicLong();
    private HttpServer server;

    /** Counts a finished job by outcome: done, failed, cancelled, lost (lease taken over), released. */
    public synchronized void jobFinished(String outcome) {
        jobs.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    /** Adds the duration of one phase. */
    public synchronized void phase(String phase, double seconds) {
        phaseSeconds.computeIfAbsent(phase, k -> new DoubleAdder()).add(seconds);
        phaseCount.computeIfAbsent(phase, k -> new AtomicLong()).incrementAndGet();
    }

    /** Marks whether a job is running now. */
    public void running(boolean yes) {
        running.set(yes ? 1 : 0);
    }

    /** Counts a failed lease attempt (registry unreachable or refusing) and marks the registry down. */
    public void registryFailure() {
        registryFailures.incrementAndGet();
        registryUp.set(0);
    }

    /** Marks whether the last lease attempt reached the registry. */
    public void registryUp(boolean up) {
        registryUp.set(up ? 1 : 0);
    }

    /** Failed lease attempts so far. */
    public long registryFailures() {
        return registryFailures.get();
    }

    /** Jobs finished with {@code outcome} so far. */
    public synchronized long jobs(String outcome) {
        AtomicLong n = jobs.get(outcome);
        return n == null ? 0 : n.get();
    }

    /** The exposition text. */
    public synchronized String scrape() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP hookline_worker_jobs_total Jobs finished by this worker, by outcome.\n");
        b.append("# TYPE hookline_worker_jobs_total counter\n");
        for (String o : new String[] {"done", "failed", "cancelled", "lost", "released"}) {
            b.append("hookline_worker_jobs_total{outcome=\"").append(o).append("\"} ").append(jobs(o)).append('\n');
        }
        b.append("# HELP hookline_worker_phase_seconds Seconds spent per job phase.\n");
        b.append("# TYPE hookline_worker_phase_seconds summary\n");
        phaseSeconds.forEach((p, s) -> {
            b.append(String.format(Locale.ROOT, "hookline_worker_phase_seconds_sum{phase=\"%s\"} %.3f%n", p, s.sum()));
            b.append("hookline_worker_phase_seconds_count{phase=\"").append(p).append("\"} ")
                    .append(phaseCount.get(p).get()).append('\n');
        });
        b.append("# HELP hookline_worker_job_running 1 while a job is being computed.\n");
        b.append("# TYPE hookline_worker_job_running gauge\n");
        b.append("hookline_worker_job_running ").append(running.get()).append('\n');
        b.append("# HELP hookline_worker_registry_up 1 if the last lease attempt reached the registry.\n");
        b.append("# TYPE hookline_worker_registry_up gauge\n");
        b.append("hookline_worker_registry_up ").append(registryUp.get()).append('\n');
        b.append("# HELP hookline_worker_registry_failures_total Lease attempts that failed (unreachable or refused).\n");
        b.append("# TYPE hookline_worker_registry_failures_total counter\n");
        b.append("hookline_worker_registry_failures_total ").append(registryFailures.get()).append('\n');
        return b.toString();
    }

    /**
     * The interface the endpoint listens on: loopback unless {@code -Dhookline.metrics.host} or
     * {@code HOOKLINE_METRICS_HOST} names another (e.g. {@code 0.0.0.0} for a remote Prometheus).
     */
    public static String host() {
        String h = System.getProperty("hookline.metrics.host");
        if (h == null || h.isBlank()) {
            h = System.getenv("HOOKLINE_METRICS_HOST");
        }
        return h == null || h.isBlank() ? "127.0.0.1" : h.trim();
    }

    /** Serves {@code /metrics} on {@code port} (0 = a free port) of {@link #host()}; answers the bound port. */
    public int serve(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(host(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on metrics port " + port, e);
        }
        server.createContext("/metrics", ex -> {
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
