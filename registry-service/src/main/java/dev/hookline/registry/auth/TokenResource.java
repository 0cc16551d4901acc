package dev.hookline.registry.auth;

import dev.hookline.registry.api.Check;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

import java.util.List;

/** API tokens (ADMIN) and "who am I" (any role). */
@Path("/api")
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "API token: Authorization: Bearer <token>")
@SecurityRequirement(name = "bearer")
public class TokenResource {

    @Inject
    TokenService tokens;

    @Inject
    Caller caller;

    /** Who the bearer token belongs to. */
    public record Me(String principal, List<Role> roles) {
    }

    @GET
    @Path("/me")
    @Allow
    public Me me() {
        return new Me(caller.principal(), List.copyOf(caller.roles()));
    }

    @POST
    @Path("/tokens")
    @Allow(Role.ADMIN)
    public Response create(TokenService.CreateTokenRequest req) {
        return Response.status(201).entity(tokens.create(req, caller.principal())).build();
    }

    @GET
    @Path("/tokens")
    @Allow(Role.ADMIN)
    public List<TokenService.TokenView> list() {
        return tokens.list();
    }

    @DELETE
    @Path("/tokens/{id}")
    @Allow(Role.ADMIN)
    public TokenService.TokenView revoke(@PathParam("id") String id) {
        return tokens.revoke(Check.id(id, "id"), caller.principal());
    }
}
