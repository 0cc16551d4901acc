/*
 * One lock per blob key (issue 26: a DELETE raced a job completion and 13 of 40 versions were
 * committed after their blob was gone). PostgreSQL transaction-scoped advisory locks
 * (pg_advisory_xact_lock(int, int), released at commit or rollback) serialise "check the blob,
 * then commit a row that references it" against "check no row references it, then delete it".
 */
package dev.hookline.registry.blob;

import jakarta.persistence.EntityManager;

import java.util.Collection;
import java.util.TreeSet;

/** Transaction-scoped advisory locks on blob keys. */
public final class BlobLocks {

    /** First int of the two-int advisory lock key: "HL" + 'b', so blob locks meet no other lock. */
    private static final int NAMESPACE = 0x484c62;

    private BlobLocks() {
    }

    /**
     * Locks every key until the surrounding transaction ends, in sorted order so two holders of
     * overlapping sets cannot deadlock. Keys that are not {@code sha256/<hex>} are skipped (they are
     * refused later by the manifest check).
     */
    public static void lock(EntityManager em, Collection<String> keys) {
        for (String key : new TreeSet<>(keys.stream().filter(k -> k != null && k.length() >= 15).toList())) {
            em.createNativeQuery("SELECT pg_advisory_xact_lock(?1, ?2)")
                    .setParameter(1, NAMESPACE).setParameter(2, lockId(key)).getSingleResult();
        }
    }

    /** 32 bits of the digest (collisions only serialise two unrelated keys, never skip a lock). */
    static int lockId(String key) {
        String hex = key.startsWith("sha256/") ? key.substring(7) : key;
        try {
            return (int) Long.parseLong(hex.substring(0, 8), 16);
        } catch (RuntimeException e) {
            return key.hashCode();
        }
    }
}
