/*
 * Line plots for bench reports, drawn headless with java.awt into PNG files. Text goes through
 * BitmapFont, never through AWT fonts: the font manager needs system libraries (libharfbuzz,
 * fontconfig) that the GPU machine and slim containers lack, and a report must not fail there.
 */
package dev.hookline.engine.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Minimal multi-panel line charts. */
public final class Plots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)};
    private static final int PANEL_W = 360;
    private static final int PANEL_H = 260;

    private Plots() {}

    /** One series: a name and its (x, y) points. */
    public record Series(String name, double[] x, double[] y) {}

    /** One panel: title, y range and series. */
    public record Panel(String title, String xLabel, double yMin, double yMax, List<Series> series) {}

    /** Writes the panels side by side into {@code file}. */
    public static void write(Path file, List<Panel> panels) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = Math.max(1, panels.size()) * PANEL_W;
        BufferedImage img = new BufferedImage(width, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, PANEL_H);
            for (int p = 0; p < panels.size(); p++) {
                draw(g, panels.get(p), p * PANEL_W);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private static void draw(Graphics2D g, Panel panel, int x0) {
        int left = x0 + 45;
        int right = x0 + PANEL_W - 15;
        int top = 25;
        int bottom = PANEL_H - 70;
        double xMax = 1;
        for (Series s : panel.series()) {
            for (double x : s.x()) {
                xMax = Math.max(xMax, x);
            }
        }
        double yMin = panel.yMin();
        double yMax = panel.yMax() > yMin ? panel.yMax() : yMin + 1;
        g.setColor(Color.BLACK);
        BitmapFont.draw(g, panel.title(), left, 15);
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 4; i++) {
            double v = yMin + (yMax - yMin) * i / 4;
            int y = bottom - (int) ((bottom - top) * i / 4.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, y, right - 1, y);
            g.setColor(Color.BLACK);
            String label = String.format(Locale.ROOT, "%.2f", v);
            BitmapFont.draw(g, label, Math.max(x0 + 1, left - 3 - BitmapFont.width(label)), y + 4);
        }
        BitmapFont.draw(g, "0", left, bottom + 14);
        String xm = String.format(Locale.ROOT, "%.0f %s", xMax, panel.xLabel());
        BitmapFont.draw(g, xm, right - BitmapFont.width(xm), bottom + 14);
        int legendY = bottom + 30;
        for (int si = 0; si < panel.series().size(); si++) {
            Series s = panel.series().get(si);
            Color c = PALETTE[si % PALETTE.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isNaN(s.y()[i])) {
                    continue;
                }
                int px = left + (int) ((right - left) * s.x()[i] / xMax);
                double yc = Math.max(yMin, Math.min(yMax, s.y()[i]));
                int py = bottom - (int) ((bottom - top) * (yc - yMin) / (yMax - yMin));
                g.fillOval(px - 2, py - 2, 5, 5);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            g.setStroke(new BasicStroke(1f));
            int lx = left + (si % 2) * 150;
            int ly = legendY + (si / 2) * BitmapFont.HEIGHT;
            g.fillRect(lx, ly - 8, 10, 8);
            g.setColor(Color.BLACK);
            // Two legend columns of 150 px: a longer name is cut so that it never runs into the next.
            int room = (150 - 18) / BitmapFont.WIDTH;
            String name = s.name().length() > room ? s.name().substring(0, room - 1) + "." : s.name();
            BitmapFont.draw(g, name, lx + 14, ly);
        }
    }

    /** Convenience: a series from an x list and a y list. */
    public static Series series(String name, List<? extends Number> x, List<? extends Number> y) {
        double[] xs = new double[x.size()];
        double[] ys = new double[y.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = x.get(i).doubleValue();
            ys[i] = y.get(i).doubleValue();
        }
        return new Series(name, xs, ys);
    }

}
