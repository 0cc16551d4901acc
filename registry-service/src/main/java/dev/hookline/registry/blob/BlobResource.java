package dev.hookline.registry.blob;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.io.InputStream;

/**
 * Content-addressed blobs: {@code /api/blobs/sha256/<hex>}, their presigned uploads
 * ({@code .../uploads}, see {@link BlobUploads}) and their garbage collection.
 */
@Path("/api/blobs")
@SecurityRequirement(name = "bearer")
public class BlobResource {

    @Inject
    BlobStore store;

    @Inject
    BlobGcService gc;

    @Inject
    BlobUploads uploads;

    @Inject
    Caller caller;

    @Inject
    MeterRegistry metrics;

    /** Streamed upload: the bytes come through the registry (clients that cannot reach the store). */
    @PUT
    @Path("/sha256/{hex}")
    @Consumes(MediaType.WILDCARD)
    @Allow({Role.WORKER, Role.ADMIN})
    public Response upload(@PathParam("hex") String hex, InputStream body) {
        BlobStore.Stored stored;
        try {
            stored = store.put(hex, body);
        } catch (ApiProblem e) {
            countStreamed("refused");
            throw e;
        }
        countStreamed(stored.created() ? "created" : "existing");
        return Response.status(stored.created() ? 201 : 200).entity(stored).type(MediaType.APPLICATION_JSON).build();
    }

    /**
     * Offers a presigned upload: 201 with {@code upload} (a URL straight to the object store), or
     * 200 with {@code stored: true} (nothing to send) or with no upload and a {@code reason}
     * (stream the bytes through {@code PUT /api/blobs/sha256/<hex>}).
     */
    @POST
    @Path("/sha256/{hex}/uploads")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Allow({Role.WORKER, Role.ADMIN})
    public Response offerUpload(@PathParam("hex") String hex, BlobUploads.OfferRequest req) {
        BlobUploads.Offer offer = uploads.offer(hex, req);
        if (offer.upload() == null) {
            return Response.ok(offer).build();
        }
        return Response.status(201).entity(offer).location(java.net.URI.create(offer.upload().complete())).build();
    }

    /** Completes a presigned upload after verifying it: 201 stored, 200 already stored; 404/409/422 refused. */
    @POST
    @Path("/sha256/{hex}/uploads/{uploadId}")
    @Produces(MediaType.APPLICATION_JSON)
    @Allow({Role.WORKER, Role.ADMIN})
    public Response completeUpload(@PathParam("hex") String hex, @PathParam("uploadId") String uploadId) {
        BlobStore.Stored stored = uploads.complete(hex, uploadId);
        return Response.status(stored.created() ? 201 : 200).entity(stored).build();
    }

    /** Abandons a presigned upload (its staging object is removed); 204, also when there was none. */
    @DELETE
    @Path("/sha256/{hex}/uploads/{uploadId}")
    @Allow({Role.WORKER, Role.ADMIN})
    public Response abortUpload(@PathParam("hex") String hex, @PathParam("uploadId") String uploadId) {
        uploads.abort(hex, uploadId);
        return Response.noContent().build();
    }

    private void countStreamed(String outcome) {
        metrics.counter("hookline.blob.uploads", "path", "streamed", "outcome", outcome).increment();
    }

    @HEAD
    @Path("/sha256/{hex}")
    @Allow
    public Response exists(@PathParam("hex") String hex) {
        String key = BlobStore.keyOf(hex, "hex");
        return store.stat(key).map(size -> Response.ok().header("Content-Length", size).build())
                .orElseGet(() -> Response.status(404).build());
    }

    @GET
    @Path("/sha256/{hex}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Allow({Role.WORKER, Role.SERVING, Role.REVIEWER, Role.ADMIN})
    public Response download(@PathParam("hex") String hex, @QueryParam("redirect") String redirect) {
        String key = BlobStore.keyOf(hex, "hex");
        long size = store.stat(key).orElseThrow(() -> ApiProblem.notFound("blob", key));
        if (redirect != null && !redirect.equals("true") && !redirect.equals("false")) {
            throw ApiProblem.badRequest("redirect must be true or false", "redirect");
        }
        if ("true".equals(redirect)) {
            // The bytes go from the object store to the client directly (no second hop).
            BlobStore.SignedUrl url = store.presign(new ManifestEntry("download", key, size));
            return Response.temporaryRedirect(java.net.URI.create(url.url())).header("Content-Length", 0)
                    .header("X-Hookline-Blob-Size", size).build();
        }
        StreamingOutput out = os -> {
            try (InputStream in = store.open(key)) {
                byte[] buf = new byte[1 << 20];
                for (int k; (k = in.read(buf)) > 0; ) {
                    os.write(buf, 0, k);
                }
            }
        };
        return Response.ok(out).header("Content-Length", size).build();
    }

    /**
     * Stored blobs that no model or version references, last modified at least
     * {@code minAgeSeconds} ago (default 3600: younger ones may belong to a job about to complete).
     */
    @GET
    @Path("/unreferenced")
    @Produces(MediaType.APPLICATION_JSON)
    @Allow(Role.ADMIN)
    public BlobGcService.UnreferencedList unreferenced(@QueryParam("minAgeSeconds") @DefaultValue("3600") String minAge) {
        long seconds;
        try {
            seconds = Long.parseLong(minAge.trim());
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest("minAgeSeconds must be a whole number of seconds >= 0", "minAgeSeconds");
        }
        if (seconds < 0) {
            throw ApiProblem.badRequest("minAgeSeconds must be a whole number of seconds >= 0", "minAgeSeconds");
        }
        return gc.unreferenced(seconds);
    }

    /** Removes an unreferenced blob; 409 when a model or version references it. */
    @DELETE
    @Path("/sha256/{hex}")
    @Produces(MediaType.APPLICATION_JSON)
    @Allow(Role.ADMIN)
    public BlobGcService.Removed delete(@PathParam("hex") String hex) {
        return gc.delete(BlobStore.keyOf(hex, "hex"), caller.principal());
    }
}
