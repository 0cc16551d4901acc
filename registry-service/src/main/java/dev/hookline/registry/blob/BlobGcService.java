/*
 * Garbage collection of content-addressed blobs: which stored objects no model or version
 * references any more (blobs of a crashed worker's attempt, uploads never completed), and their
 * removal. Rows are the only source of references: base_model.checkpoint_json / stats_json and
 * hook_version.manifest_json (DESIGN.md section 5: metadata is committed only after its blobs).
 */
package dev.hookline.registry.blob;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lists and removes unreferenced blobs. A blob that is uploaded but not yet referenced may belong
 * to a job that is about to complete, so listing takes a minimum age: callers pass one longer
 * than the longest upload-to-completion window (the GC command defaults to one hour).
 */
@ApplicationScoped
public class BlobGcService {

    @Inject
    EntityManager em;

    @Inject
    BlobStore store;

    @Inject
    AuditLog audit;

    /** No blob younger than this is deleted, whatever the caller asks (default 0: leases decide). */
    @ConfigProperty(name = "hookline.blobs.gc-min-age-seconds", defaultValue = "0")
    long minAgeFloor;

    /** An unreferenced blob. */
    public record Unreferenced(String key, long size, Instant lastModified) {
    }

    /** Answer of the listing: what could be removed and how much it weighs. */
    public record UnreferencedList(int stored, int referenced, long bytes, List<Unreferenced> blobs) {
    }

    /** Answer of a removal. */
    public record Removed(String key, long size, boolean deleted) {
    }

    /** Every blob key some model or version row references. */
    @Transactional
    public Set<String> referencedKeys() {
        Set<String> keys = new HashSet<>();
        @SuppressWarnings("unchecked")
        List<Object[]> models = em.createNativeQuery("SELECT checkpoint_json, stats_json FROM base_model").getResultList();
        for (Object[] row : models) {
            collect(keys, (String) row[0]);
            collect(keys, (String) row[1]);
        }
        @SuppressWarnings("unchecked")
        List<String> versions = em.createNativeQuery("SELECT manifest_json FROM hook_version").getResultList();
        versions.forEach(m -> collect(keys, m));
        return keys;
    }

    /**
     * The instant after which a stored blob may belong to a job that has not completed yet: the
     * start of the oldest live lease (a blob uploaded since then may be in its manifest soon), or
     * now less {@code hookline.blobs.gc-min-age-seconds}, whichever is earlier. Last-modified times
     * of the object store have whole seconds, so a blob counts as modified up to one second later.
     */
    @Transactional
    public Instant protectedAfter() {
        Instant floor = Instant.now().minusSeconds(minAgeFloor);
        Object oldest = em.createNativeQuery("SELECT min(leased_at) FROM edit_job WHERE status = 'LEASED' "
                + "AND lease_expires_at > now()").getSingleResult();
        Instant lease = oldest == null ? null : toInstant(oldest);
        return lease != null && lease.isBefore(floor) ? lease : floor;
    }

    private static Instant toInstant(Object o) {
        if (o instanceof Instant i) {
            return i;
        }
        if (o instanceof java.time.OffsetDateTime odt) {
            return odt.toInstant();
        }
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant();
        }
        throw new IllegalStateException("unexpected timestamp type " + o.getClass());
    }

    private static boolean young(BlobStore.StoredBlob b, Instant protectedAfter) {
        return b.lastModified().plusSeconds(1).isAfter(protectedAfter);
    }

    /** Stored blobs no row references, last modified at least {@code minAgeSeconds} ago. */
    public UnreferencedList unreferenced(long minAgeSeconds) {
        List<BlobStore.StoredBlob> stored = store.list();
        Set<String> referenced = referencedKeys();
        Instant cutoff = Instant.now().minusSeconds(minAgeSeconds);
        Instant guard = protectedAfter();
        List<Unreferenced> out = stored.stream()
                .filter(b -> !referenced.contains(b.key()) && !b.lastModified().isAfter(cutoff) && !young(b, guard))
                .map(b -> new Unreferenced(b.key(), b.size(), b.lastModified())).toList();
        long bytes = out.stream().mapToLong(Unreferenced::size).sum();
        int storedReferenced = (int) stored.stream().filter(b -> referenced.contains(b.key())).count();
        return new UnreferencedList(stored.size(), storedReferenced, bytes, out);
    }

    /**
     * Removes one blob; 409 when a model or version references it, 404 when it is not stored.
     * The reference check and the audit event share a transaction.
     */
    @Transactional
    public Removed delete(String key, String actor) {
        // Completion, model registration and statistics take the same lock while they check the
        // blob and commit their row, so the reference check below sees every committed reference.
        BlobLocks.lock(em, List.of(key));
        BlobStore.StoredBlob blob = store.statBlob(key).orElseThrow(() -> ApiProblem.notFound("blob", key));
        long size = blob.size();
        if (referencedKeys().contains(key)) {
            throw ApiProblem.conflict("blob " + key + " is referenced by a model or hook version; it cannot be removed",
                    "hex");
        }
        Instant guard = protectedAfter();
        if (young(blob, guard)) {
            throw ApiProblem.conflict("blob " + key + " was stored at " + blob.lastModified() + ", during a live lease "
                    + "or within hookline.blobs.gc-min-age-seconds; a job may still complete with it", "hex");
        }
        store.delete(key);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("key", key);
        payload.put("size", size);
        audit.append(actor, "blob.deleted", "blob", key, payload);
        return new Removed(key, size, true);
    }

    private static void collect(Set<String> keys, String json) {
        if (json == null || json.isBlank()) {
            return;
        }
        walk(Json.tree(json), keys);
    }

    private static void walk(JsonNode node, Set<String> keys) {
        if (node.isObject()) {
            JsonNode key = node.get("key");
            if (key != null && key.isTextual()) {
                keys.add(key.asText());
            }
            node.forEach(n -> walk(n, keys));
        } else if (node.isArray()) {
            node.forEach(n -> walk(n, keys));
        }
    }
}
