/*
 * The GC command's client side: lists blobs no model or version references (the registry's
 * GET /api/blobs/unreferenced) and removes them one by one (DELETE refuses referenced blobs).
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.util.ArrayList;
import java.util.List;

/** Unreferenced-blob garbage collection; needs an ADMIN token. */
public final class BlobGc {
    private final RegistryClient admin;

    public BlobGc(RegistryClient admin) {
        this.admin = admin;
    }

    /** A blob nothing references. */
    public record Candidate(String key, long size, String lastModified) {
    }

    /** What a GC run found and removed. */
    public record Report(int stored, int referenced, List<Candidate> unreferenced, List<String> removed,
            List<String> refused) {
    }

    /** Unreferenced blobs at least {@code minAgeSeconds} old. */
    public List<Candidate> list(long minAgeSeconds) {
        return candidates(admin.get("/api/blobs/unreferenced?minAgeSeconds=" + minAgeSeconds));
    }

    /** Lists and (when {@code delete}) removes unreferenced blobs at least {@code minAgeSeconds} old. */
    public Report run(long minAgeSeconds, boolean delete) {
        JsonNode listing = admin.get("/api/blobs/unreferenced?minAgeSeconds=" + minAgeSeconds);
        List<Candidate> found = candidates(listing);
        List<String> removed = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        if (delete) {
            for (Candidate c : found) {
                try {
                    admin.delete("/api/blobs/" + c.key());
                    removed.add(c.key());
                } catch (RegistryException e) {
                    if (e.status() != 409 && e.status() != 404) {
                        throw e;
                    }
                    refused.add(c.key() + ": " + (e.detail() == null ? e.getMessage() : e.detail()));
                }
            }
        }
        return new Report(listing.path("stored").asInt(), listing.path("referenced").asInt(), found, removed, refused);
    }

    private static List<Candidate> candidates(JsonNode listing) {
        List<Candidate> out = new ArrayList<>();
        for (JsonNode b : listing.path("blobs")) {
            out.add(new Candidate(b.path("key").asText(), b.path("size").asLong(), b.path("lastModified").asText()));
        }
        return out;
    }
}
