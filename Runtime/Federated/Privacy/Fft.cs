using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>Radix-2 complex FFT and the linear convolution of real sequences built on it.</summary>
public static class Fft
{
    /// <summary>
    /// In-place iterative radix-2 FFT of (re, im), length a power of two. Forward uses e^(−2πi jk/n);
    /// the inverse uses e^(+2πi jk/n) and divides by n.
    /// </summary>
    public static void Transform(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        if (im.Length != n) throw new ArgumentException($"real part has {n} values but imaginary part {im.Length}.", nameof(im));
        if (n == 0 || (n & (n - 1)) != 0) throw new ArgumentException($"the length must be a power of two, got {n}.", nameof(re));
        // Bit-reversal permutation.
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j |= bit;
            if (i < j) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        // Twiddles from Cos/Sin of each angle, not a recurrence, so their error does not grow with n;
        // copied per stage into contiguous runs (stage of half-size h at [h − 1, 2h − 1)) so the
        // butterflies read them sequentially.
        int half = n / 2;
        var twRe = new double[Math.Max(n - 1, 1)];
        var twIm = new double[Math.Max(n - 1, 1)];
        double sign = inverse ? 1.0 : -1.0;
        for (int k = 0; k < half; k++)
        {
            double angle = 2 * Math.PI * k / n;
            twRe[half - 1 + k] = Math.Cos(angle);
            twIm[half - 1 + k] = sign * Math.Sin(angle);
        }
        for (int h = half / 2; h >= 1; h /= 2)
            for (int k = 0; k < h; k++)
            {
                twRe[h - 1 + k] = twRe[2 * h - 1 + 2 * k];
                twIm[h - 1 + k] = twIm[2 * h - 1 + 2 * k];
            }
        for (int h = 1; h < n; h <<= 1)
        {
            int len = 2 * h, tw = h - 1;
            for (int start = 0; start < n; start += len)
            {
                for (int k = 0; k < h; k++)
                {
                    double wr = twRe[tw + k], wi = twIm[tw + k];
                    int a = start + k, b = a + h;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr; im[b] = im[a] - xi;
                    re[a] += xr; im[a] += xi;
                }
            }
        }
        if (inverse)
        {
            double scale = 1.0 / n;
            for (int i = 0; i < n; i++) { re[i] *= scale; im[i] *= scale; }
        }
    }

    /// <summary>
    /// The linear convolution c[k] = Σ a[i]·b[k − i] (length |a| + |b| − 1): directly when small,
    /// otherwise by FFT with zero padding (no wrap-around). FFT results carry ~1e-16 absolute noise.
    /// </summary>
    public static double[] Convolve(double[] a, double[] b)
    {
        if (a.Length == 0 || b.Length == 0) return [];
        int length = a.Length + b.Length - 1;
        if ((long)Math.Min(a.Length, b.Length) * length <= 1L << 18) return ConvolveDirect(a, b);
        int n = 1;
        while (n < length) n <<= 1;
        // Pack a as the real part and b as the imaginary part: one forward transform gives both spectra.
        var re = new double[n];
        var im = new double[n];
        Array.Copy(a, re, a.Length);
        Array.Copy(b, im, b.Length);
        Transform(re, im, inverse: false);
        // With Z = FFT(a + ib): A_k = (Z_k + conj Z_{n−k})/2, B_k = (Z_k − conj Z_{n−k})/(2i); C = A·B.
        var cr = new double[n];
        var ci = new double[n];
        for (int k = 0; k < n; k++)
        {
            int m = (n - k) & (n - 1);
            double ar = 0.5 * (re[k] + re[m]), ai = 0.5 * (im[k] - im[m]);
            double br = 0.5 * (im[k] + im[m]), bi = -0.5 * (re[k] - re[m]);
            cr[k] = ar * br - ai * bi;
            ci[k] = ar * bi + ai * br;
        }
        Transform(cr, ci, inverse: true);
        var c = new double[length];
        Array.Copy(cr, c, length);
        return c;
    }

    internal static double[] ConvolveDirect(double[] a, double[] b)
    {
        var c = new double[a.Length + b.Length - 1];
        for (int i = 0; i < a.Length; i++)
        {
            double ai = a[i];
            if (ai == 0) continue;
            for (int j = 0; j < b.Length; j++) c[i + j] += ai * b[j];
        }
        return c;
    }
}
