/*
 * Signed checkpoints of the audit chain head in object storage (issue 26): deleting the last
 * events leaves a valid but shorter chain, which only something outside the database can reveal.
 * After every transaction that appended events commits, the new head {seq, hash, at, hmac} is
 * written to audit/checkpoint.json in the blob bucket; verify compares the chain against it.
 */
package dev.hookline.registry.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.blob.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Writes and reads the signed checkpoint of the audit chain head. */
@ApplicationScoped
public class AuditCheckpoints {

    private static final Logger LOG = Logger.getLogger(AuditCheckpoints.class);
    /** Object key of the latest checkpoint (outside the sha256/ blob namespace the GC walks). */
    public static final String KEY = "audit/checkpoint.json";

    @Inject
    BlobStore store;

    @Inject
    AuditSigner signer;

    private long written = -1;
    /** The newest committed head not yet written (coalesces bursts of events into one write). */
    private final java.util.concurrent.atomic.AtomicReference<Head> pending = new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean scheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hookline-audit-checkpoint");
        t.setDaemon(true);
        return t;
    });

    /** The chain head after an append (fired by {@link AuditLog#append}). */
    public record Head(long seq, String hash) {
    }

    /** A checkpoint as stored; {@code valid} says whether its signature matches. */
    public record Checkpoint(String key, long seq, String hash, String at, boolean valid) {
    }

    /**
     * After the appending transaction committed: the head is handed to one background writer, so
     * requests never queue behind an object-store write; a burst of commits becomes one write of
     * the newest head. {@link #flush()} (called by verify) writes what is pending at once.
     */
    void onCommit(@Observes(during = TransactionPhase.AFTER_SUCCESS) Head head) {
        pending.accumulateAndGet(head, (a, b) -> a == null || b.seq() > a.seq() ? b : a);
        if (scheduled.compareAndSet(false, true)) {
            writer.execute(() -> {
                scheduled.set(false);
                flush();
            });
        }
    }

    /** Writes the newest committed head if it is not written yet. */
    public void flush() {
        Head head = pending.get();
        if (head == null) {
            return;
        }
        try {
            write(head);
        } catch (RuntimeException e) {
            // The change is committed; a missed checkpoint only narrows what truncation verify can see.
            LOG.warnf(e, "could not write the audit checkpoint for seq %d", head.seq());
        }
    }

    /** Writes {@code head} unless a later one was written already (checkpoints never go back). */
    public synchronized void write(Head head) {
        if (written < 0) {
            written = latest().filter(Checkpoint::valid).map(Checkpoint::seq).orElse(0L);
        }
        if (head.seq() <= written) {
            return;
        }
        String at = Instant.now().toString();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("seq", head.seq());
        body.put("hash", head.hash().trim());
        body.put("at", at);
        body.put("hmac", signer.signCheckpoint(head.seq(), head.hash(), at));
        store.putObject(KEY, Json.canonical(body).getBytes(StandardCharsets.UTF_8), "application/json");
        written = head.seq();
    }

    /** The latest checkpoint, or empty when none was written yet. */
    public Optional<Checkpoint> latest() {
        Optional<byte[]> raw = store.getObject(KEY);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.tree(new String(raw.get(), StandardCharsets.UTF_8));
            long seq = n.path("seq").asLong(-1);
            String hash = n.path("hash").asText("");
            String at = n.path("at").asText("");
            boolean valid = seq > 0 && AuditSigner.matches(signer.signCheckpoint(seq, hash, at), n.path("hmac").asText(null));
            return Optional.of(new Checkpoint(KEY, seq, hash, at, valid));
        } catch (RuntimeException e) {
            return Optional.of(new Checkpoint(KEY, -1, "", "", false));
        }
    }
}
