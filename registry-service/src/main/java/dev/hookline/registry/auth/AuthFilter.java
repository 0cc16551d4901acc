package dev.hookline.registry.auth;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.ProblemMappers;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Bearer-token authentication and role check for every {@code /api} method: 401 without a
 * token or with an unknown/revoked one, 403 when none of the caller's roles is in the method's
 * {@link Allow}. A method under {@code /api} without {@link Allow} is refused (fail closed).
 */
public class AuthFilter {

    @Inject
    TokenService tokens;

    @Inject
    Caller caller;

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public Optional<Response> authenticate(ContainerRequestContext ctx, ResourceInfo info) {
        Method method = info.getResourceMethod();
        String path = ctx.getUriInfo().getPath();
        boolean api = path.startsWith("/api/") || path.equals("/api");
        Allow allow = method == null ? null : method.getAnnotation(Allow.class);
        if (!api && allow == null) {
            return Optional.empty();
        }
        String header = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            return deny(ApiProblem.unauthorized("a bearer token is required (Authorization: Bearer <token>)"));
        }
        var identity = tokens.authenticate(header.substring(7).trim());
        if (identity.isEmpty()) {
            return deny(ApiProblem.unauthorized("unknown or revoked token"));
        }
        caller.set(identity.get().tokenId(), identity.get().principal(), identity.get().roles());
        if (allow == null) {
            return deny(ApiProblem.forbidden("no-role", "this endpoint declares no role"));
        }
        if (allow.value().length == 0 || Arrays.stream(allow.value()).anyMatch(caller::has)) {
            return Optional.empty();
        }
        return deny(ApiProblem.forbidden("wrong-role", "this endpoint needs one of the roles "
                + Arrays.toString(allow.value()) + "; principal '" + caller.principal() + "' has " + caller.roles()));
    }

    private static Optional<Response> deny(ApiProblem p) {
        Response r = ProblemMappers.respond(p.toProblem());
        if (p.status() == 401) {
            r = Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
        }
        return Optional.of(r);
    }
}
