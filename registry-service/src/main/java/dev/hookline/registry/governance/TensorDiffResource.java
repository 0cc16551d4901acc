/* HTTP endpoint of issue 25 (version diffs without a worker): the registry's own per-layer tensor diff. */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.auth.Allow;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * {@code GET /api/versions/{from}/diff/{to}/tensors?top=k}: per layer ||delta_to - delta_from||_F, the
 * top k singular values of the difference and which layers moved; {@code from} = 0 compares with
 * the base model (no hooks). Any role may read it, like the versions themselves.
 */
@Path("/api/versions/{from}/diff/{to}/tensors")
@SecurityRequirement(name = "bearer")
public class TensorDiffResource {

    @Inject
    TensorDiff diffs;

    @GET
    @Allow
    public TensorDiff.VersionTensorDiff diff(@PathParam("from") String from, @PathParam("to") String to,
                                             @QueryParam("top") @DefaultValue("5") String top) {
        long fromId = "0".equals(from) ? 0 : Check.id(from, "from");
        long toId = Check.id(to, "to");
        int k;
        try {
            k = Integer.parseInt(top);
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest("top is a whole number from 1 to " + TensorDiff.MAX_TOP + ", got '" + top + "'",
                    "top");
        }
        return diffs.diff(fromId, toId, k);
    }
}
