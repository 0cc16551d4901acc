package dev.hookline.registry.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.Digests;
import dev.hookline.registry.api.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The append-only audit log: every state change appends one event in the same transaction as
 * the change. {@code hash = sha256(prev_hash || canonical event)} where the canonical event is
 * the sorted-key JSON of {action, actor, at, entityId, entityType, payload, seq}; the first
 * event's prev_hash is 64 zeros. Appends are serialised by a transaction-scoped advisory lock so
 * the chain has no forks.
 */
@ApplicationScoped
public class AuditLog {

    /** prev_hash of the first event. */
    public static final String GENESIS = "0".repeat(64);
    private static final long CHAIN_LOCK = 0x486f6f6b6c696e65L; // "Hookline"

    @Inject
    EntityManager em;

    @Inject
    AuditSigner signer;

    @Inject
    AuditCheckpoints checkpoints;

    @Inject
    Event<AuditCheckpoints.Head> heads;

    /**
     * Result of {@link #verify()}: ok, or the first broken link; {@code checkpoint} is the signed
     * chain head from object storage the chain was compared with (null when none was written yet).
     */
    public record Verification(boolean ok, long checked, Long lastSeq, Long brokenAtSeq, Long brokenEventId,
                               String reason, CheckpointView checkpoint) {
    }

    /** The checkpoint verify used. */
    public record CheckpointView(String key, long seq, String hash, String at, boolean signatureValid) {
    }

    /** Appends one event inside the caller's transaction and returns it. */
    @Transactional(Transactional.TxType.MANDATORY)
    public AuditEvent append(String actor, String action, String entityType, Object entityId, Object payload) {
        em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)").setParameter(1, CHAIN_LOCK).getSingleResult();
        @SuppressWarnings("unchecked")
        List<Object[]> last = em.createNativeQuery("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
                .getResultList();
        long seq = last.isEmpty() ? 1 : ((Number) last.get(0)[0]).longValue() + 1;
        String prev = last.isEmpty() ? GENESIS : ((String) last.get(0)[1]).trim();
        AuditEvent e = new AuditEvent();
        e.seq = seq;
        e.at = Instant.now().truncatedTo(ChronoUnit.MICROS); // PostgreSQL keeps microseconds
        e.actor = actor;
        e.action = action;
        e.entityType = entityType;
        e.entityId = String.valueOf(entityId);
        e.payload = Json.canonical(payload == null ? Map.of() : payload);
        e.prevHash = prev;
        e.hash = hash(e);
        e.hmac = signer.signEvent(e.hash);
        e.persist();
        heads.fire(new AuditCheckpoints.Head(e.seq, e.hash));
        return e;
    }

    /** sha256(prev_hash || canonical event) of an event as stored. */
    public static String hash(AuditEvent e) {
        return Digests.sha256Hex(e.prevHash.trim() + canonical(e));
    }

    /** The canonical serialisation of an event (what the hash covers besides prev_hash). */
    public static String canonical(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq);
        m.put("at", DateTimeFormatter.ISO_INSTANT.format(e.at));
        m.put("actor", e.actor);
        m.put("action", e.action);
        m.put("entityType", e.entityType);
        m.put("entityId", e.entityId);
        JsonNode payload = Json.tree(e.payload);
        m.put("payload", payload);
        return Json.canonical(m);
    }

    /** Recomputes the whole chain in seq order and reports the first broken link. */
    @Transactional
    public Verification verify() {
        // The checkpoint first: it is written after its events commit, so the chain read next is
        // at least as long as the checkpoint unless events were removed.
        checkpoints.flush(); // heads of this process's committed appends, not read from the database
        var cp = checkpoints.latest().orElse(null);
        CheckpointView cpv = cp == null ? null : new CheckpointView(cp.key(), cp.seq(), cp.hash(), cp.at(), cp.valid());
        if (cp != null && !cp.valid()) {
            return new Verification(false, 0, null, null, null, "the checkpoint " + cp.key() + " does not carry the "
                    + "registry's signature", cpv);
        }
        boolean signedSeen = false;
        String prev = GENESIS;
        long expectedSeq = 1;
        long checked = 0;
        Long lastSeq = null;
        int page = 500;
        long after = 0;
        while (true) {
            List<AuditEvent> events = AuditEvent.<AuditEvent>find("seq > ?1 order by seq", after).page(0, page).list();
            if (events.isEmpty()) {
                break;
            }
            for (AuditEvent e : events) {
                String problem = null;
                if (e.seq != expectedSeq) {
                    problem = "sequence gap: expected seq " + expectedSeq + ", found " + e.seq;
                } else if (!e.prevHash.trim().equals(prev)) {
                    problem = "prev_hash does not match the hash of seq " + (e.seq - 1);
                } else {
                    String recomputed;
                    try {
                        recomputed = hash(e);
                    } catch (RuntimeException ex) {
                        recomputed = "unparsable payload";
                    }
                    if (!recomputed.equals(e.hash.trim())) {
                        problem = "hash does not match the event's content";
                    } else if (e.hmac == null && signedSeen) {
                        problem = "event has no HMAC although earlier events have one: written without the "
                                + "registry's key (forged)";
                    } else if (e.hmac != null && !AuditSigner.matches(signer.signEvent(e.hash), e.hmac)) {
                        problem = "HMAC does not match: the event was written without the registry's key (forged)";
                    } else if (cp != null && e.seq == cp.seq() && !e.hash.trim().equals(cp.hash())) {
                        problem = "hash differs from the signed checkpoint of seq " + cp.seq()
                                + ": the chain was rewritten from here";
                    }
                }
                if (problem != null) {
                    return new Verification(false, checked, lastSeq, e.seq, e.id, problem, cpv);
                }
                signedSeen |= e.hmac != null;
                prev = e.hash.trim();
                expectedSeq++;
                checked++;
                lastSeq = e.seq;
                after = e.seq;
            }
            em.clear();
        }
        if (cp != null && (lastSeq == null || lastSeq < cp.seq())) {
            long end = lastSeq == null ? 0 : lastSeq;
            return new Verification(false, checked, lastSeq, end + 1, null, "the chain ends at seq " + end
                    + " but the signed checkpoint records seq " + cp.seq() + ": events were removed from the tail",
                    cpv);
        }
        return new Verification(true, checked, lastSeq, null, null, null, cpv);
    }
}
