package dev.hookline.registry.blob;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Role;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.io.InputStream;

/** Content-addressed blobs: {@code /api/blobs/sha256/<hex>}. */
@Path("/api/blobs/sha256/{hex}")
@SecurityRequirement(name = "bearer")
public class BlobResource {

    @Inject
    BlobStore store;

    @PUT
    @Consumes(MediaType.WILDCARD)
    @Allow({Role.WORKER, Role.ADMIN})
    public Response upload(@PathParam("hex") String hex, InputStream body) {
        BlobStore.Stored stored = store.put(hex, body);
        return Response.status(stored.created() ? 201 : 200).entity(stored).type(MediaType.APPLICATION_JSON).build();
    }

    @HEAD
    @Allow
    public Response exists(@PathParam("hex") String hex) {
        String key = BlobStore.keyOf(hex, "hex");
        return store.stat(key).map(size -> Response.ok().header("Content-Length", size).build())
                .orElseGet(() -> Response.status(404).build());
    }

    @GET
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Allow({Role.WORKER, Role.SERVING, Role.REVIEWER, Role.ADMIN})
    public Response download(@PathParam("hex") String hex) {
        String key = BlobStore.keyOf(hex, "hex");
        long size = store.stat(key).orElseThrow(() -> ApiProblem.notFound("blob", key));
        StreamingOutput out = os -> {
            try (InputStream in = store.open(key)) {
                in.transferTo(os);
            }
        };
        return Response.ok(out).header("Content-Length", size).build();
    }
}
