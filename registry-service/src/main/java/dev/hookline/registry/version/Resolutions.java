package dev.hookline.registry.version;

import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Response;

/** ETag handling for resolutions: nodes poll with If-None-Match and get 304 while nothing changed. */
public final class Resolutions {

    private Resolutions() {
    }

    /** The entity tag of a resolution: the version and its bundle digest. */
    public static EntityTag etag(VersionDtos.Resolution r) {
        String digest = r.bundleDigest().startsWith("sha256:") ? r.bundleDigest().substring(7) : r.bundleDigest();
        return new EntityTag("v" + r.versionId() + "-" + digest);
    }

    /** 304 when the client's ETag matches, else 200 with the resolution. */
    public static Response respond(VersionDtos.Resolution r, String ifNoneMatch) {
        EntityTag tag = etag(r);
        if (ifNoneMatch != null) {
            for (String candidate : ifNoneMatch.split(",")) {
                String c = candidate.trim();
                if (c.equals("*") || c.equals("\"" + tag.getValue() + "\"") || c.equals("W/\"" + tag.getValue() + "\"")) {
                    return Response.notModified(tag).build();
                }
            }
        }
        return Response.ok(r).tag(tag).header("Cache-Control", "no-cache").build();
    }
}
