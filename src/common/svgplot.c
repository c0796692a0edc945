#include "walpull/svgplot.h"

#include "walpull/error.h"

#define W 800
#define H 400
#define L 70 /* left margin */
#define R 70 /* right margin */
#define T 40 /* top margin */
#define B 50 /* bottom margin */

static double max_of(const wp_plot_point *p, size_t n, int which)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = which == 0 ? p[i].t : which == 1 ? p[i].mibps : p[i].lag_kb;
        if (v > m)
            m = v;
    }
    return m > 0 ? m : 1;
}

static void polyline(FILE *out, const wp_plot_point *p, size_t n, int which, double tmax,
                     double vmax, const char *color)
{
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (size_t i = 0; i < n; i++) {
        double v = which == 1 ? p[i].mibps : p[i].lag_kb;
        double x = L + p[i].t / tmax * (W - L - R);
        double y = H - B - v / vmax * (H - T - B);
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    fprintf(out, "\"/>\n");
}

int wp_svgplot_write(FILE *out, const char *title, const wp_plot_point *pts, size_t n)
{
    double tmax = max_of(pts, n, 0), vmax = max_of(pts, n, 1) * 1.1, lmax = max_of(pts, n, 2) * 1.1;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"24\" font-size=\"16\">%s</text>\n",
            W, H, L, title);
    /* axes and grid with labels */
    fprintf(out, "<g stroke=\"#ccc\">\n");
    for (int i = 0; i <= 4; i++) {
        int y = H - B - i * (H - T - B) / 4;
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L, y, W - R, y);
    }
    fprintf(out, "</g>\n");
    for (int i = 0; i <= 4; i++) {
        int y = H - B - i * (H - T - B) / 4;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#1f77b4\">%.0f</text>\n",
                L - 6, y + 4, vmax * i / 4);
        fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#d62728\">%.0f</text>\n", W - R + 6, y + 4,
                lmax * i / 4);
        int x = L + i * (W - L - R) / 4;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f s</text>\n", x,
                H - B + 18, tmax * i / 4);
    }
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" fill=\"#1f77b4\">MiB/s</text>\n"
            "<text x=\"%d\" y=\"%d\" fill=\"#d62728\" text-anchor=\"end\">lag (kB)</text>\n",
            8, T - 8, W - 8, T - 8);
    polyline(out, pts, n, 1, tmax, vmax, "#1f77b4");
    polyline(out, pts, n, 2, tmax, lmax, "#d62728");
    fprintf(out, "</svg>\n");
    return ferror(out) ? WP_E_STATE : 0;
}
