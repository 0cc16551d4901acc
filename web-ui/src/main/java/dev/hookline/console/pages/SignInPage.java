/*
 * Sign-in with an API token and sign-out. The token is checked with GET /api/me and then lives
 * only on the server, in the session the cookie names.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.session.CsrfRefused;
import dev.hookline.console.session.RegistryAddress;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.ArrayList;
import java.util.List;

/** {@code /signin}, {@code /signout} and the console root {@code /}. */
@Path("/")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class SignInPage {

    @Inject
    ConsoleSessions sessions;

    @Inject
    Console console;

    @Inject
    RegistryAddress address;

    /** The console root: the review queue for reviewers, the models otherwise. */
    @GET
    public Response home(@CookieParam(ConsoleSessions.COOKIE) String cookie) {
        ConsoleSession s = console.require(cookie, "/");
        return Console.seeOther(s.has("REVIEWER") ? "/review" : "/models");
    }

    @GET
    @Path("signin")
    public Response form(@CookieParam(ConsoleSessions.COOKIE) String cookie, @QueryParam("next") String next) {
        ConsoleSession s = sessions.find(cookie).orElse(null);
        if (s != null && s.signedIn()) {
            return Console.seeOther(Console.localPath(next));
        }
        return signInPage(s, next, null, 200);
    }

    @POST
    @Path("signin")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response signIn(@CookieParam(ConsoleSessions.COOKIE) String cookie, @FormParam("csrf") String csrf,
                           @FormParam("token") String token, @FormParam("next") String next,
                           @Context HttpServerRequest request) {
        ConsoleSession anonymous = sessions.find(cookie).orElse(null);
        if (anonymous == null || !ConsoleSessions.csrfMatches(anonymous, csrf)) {
            // no sign-in without the form this browser was given (login CSRF)
            return signInPage(null, next, new CsrfRefused().getMessage(), 403);
        }
        String value = Console.field(token);
        if (value == null) {
            return signInPage(anonymous, next, "Enter an API token.", 400);
        }
        RegistryClient client = new RegistryClient(address.baseUrl(request), value);
        JsonNode me;
        try {
            me = client.me();
        } catch (RegistryException e) {
            if (e.status() == 401) {
                return signInPage(anonymous, next, "The registry did not accept this token (unknown or revoked).", 401);
            }
            throw e;
        }
        List<String> roles = new ArrayList<>();
        me.path("roles").forEach(r -> roles.add(r.asText()));
        ConsoleSession s = sessions.signIn(anonymous, client, me.path("principal").asText(), roles);
        return Response.seeOther(java.net.URI.create(Console.localPath(next)))
                .header("Set-Cookie", sessions.cookie(s)).build();
    }

    @POST
    @Path("signout")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response signOut(@CookieParam(ConsoleSessions.COOKIE) String cookie, @FormParam("csrf") String csrf) {
        ConsoleSession s = sessions.find(cookie).orElse(null);
        if (s != null && !ConsoleSessions.csrfMatches(s, csrf)) {
            throw new CsrfRefused();
        }
        sessions.signOut(s);
        return Response.seeOther(java.net.URI.create("/signin")).header("Set-Cookie", sessions.clearedCookie()).build();
    }

    private Response signInPage(ConsoleSession existing, String next, String error, int status) {
        ConsoleSession s = existing != null ? existing : sessions.anonymous();
        String html = Templates.signin(console.page(s, "Sign in", "signin"), Console.localPath(next), error).render();
        Response.ResponseBuilder r = Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html);
        if (existing == null) {
            r.header("Set-Cookie", sessions.cookie(s));
        }
        return r.build();
    }
}
