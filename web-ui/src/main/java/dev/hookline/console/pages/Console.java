/*
 * Request plumbing shared by the console pages: the session from the cookie, the sign-in guard,
 * the CSRF check of POST forms, the page chrome, redirects (post/redirect/get).
 */
package dev.hookline.console.pages;

import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.session.CsrfRefused;
import dev.hookline.console.session.SignInRequired;
import dev.hookline.console.view.Views.Page;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.Optional;

/** Helpers every console resource uses. */
@ApplicationScoped
public class Console {

    @Inject
    ConsoleSessions sessions;

    /** The session named by the cookie, if live. */
    public Optional<ConsoleSession> session(String cookie) {
        return sessions.find(cookie);
    }

    /**
     * The signed-in session, or {@link SignInRequired} (answered with a redirect to the sign-in
     * page that comes back to {@code here}).
     */
    public ConsoleSession require(String cookie, String here) {
        return sessions.find(cookie).filter(ConsoleSession::signedIn)
                .orElseThrow(() -> new SignInRequired(here));
    }

    /** The signed-in session with a matching CSRF token, for POST forms. */
    public ConsoleSession requireForm(String cookie, String csrf, String here) {
        ConsoleSession s = require(cookie, here);
        if (!ConsoleSessions.csrfMatches(s, csrf)) {
            throw new CsrfRefused();
        }
        return s;
    }

    /** The page chrome for a session (null = anonymous). */
    public Page page(ConsoleSession s, String title, String nav) {
        if (s == null || !s.signedIn()) {
            return new Page(title, nav, null, "", s == null ? "" : s.csrf(), null, false, false, false, false);
        }
        return new Page(title, nav, s.principal(), String.join(", ", s.roles()), s.csrf(), s.takeFlash(),
                s.has("SUBMITTER"), s.has("REVIEWER"), s.has("RELEASER"), s.has("ADMIN"));
    }

    /** 303 See Other to a local path (post/redirect/get). */
    public static Response seeOther(String path) {
        return Response.seeOther(URI.create(path)).build();
    }

    /** A local path safe to redirect to: starts with one "/" and is not a scheme-relative URL. */
    public static String localPath(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
                || next.contains("\r") || next.contains("\n")) {
            return "/";
        }
        return next;
    }

    /** Trims a form field; null when blank. */
    public static String field(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
