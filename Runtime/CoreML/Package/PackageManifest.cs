using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TrainingGen.CoreML;

/// <summary>
/// <c>Manifest.json</c> of an <c>.mlpackage</c> (coreml-format.md §1.1): writing with
/// deterministic identifiers, reading with the validation coremltools performs.
/// </summary>
internal static class PackageManifest
{
    public const string FileName = "Manifest.json";
    public const string DataDirectory = "Data";
    public const string Author = "com.apple.CoreML";
    public const string ModelItemPath = "com.apple.CoreML/model.mlmodel";
    public const string WeightsItemPath = "com.apple.CoreML/weights";

    /// <summary>
    /// A deterministic upper-case UUID for an item path: the first 16 bytes of SHA-256 of the
    /// path, stamped as an RFC 9562 version-8 (custom) UUID, so rewriting a package is byte-identical.
    /// </summary>
    public static string Identifier(string itemPath)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes("TrainingGen.mlpackage/" + itemPath));
        h[6] = (byte)((h[6] & 0x0F) | 0x80);
        h[8] = (byte)((h[8] & 0x3F) | 0x80);
        string hex = Convert.ToHexString(h, 0, 16);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    /// <summary>The manifest text: 4-space indent, keys sorted, trailing newline.</summary>
    public static string Render()
    {
        string modelId = Identifier(ModelItemPath), weightsId = Identifier(WeightsItemPath);
        var items = new SortedDictionary<string, (string Description, string Name, string Path)>(StringComparer.Ordinal)
        {
            [modelId] = ("CoreML Model Specification", "model.mlmodel", ModelItemPath),
            [weightsId] = ("CoreML Model Weights", "weights", WeightsItemPath),
        };
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("    \"fileFormatVersion\": \"1.0.0\",\n");
        sb.Append("    \"itemInfoEntries\": {\n");
        int i = 0;
        foreach (var (id, item) in items)
        {
            sb.Append("        \"").Append(id).Append("\": {\n");
            sb.Append("            \"author\": \"").Append(Author).Append("\",\n");
            sb.Append("            \"description\": \"").Append(item.Description).Append("\",\n");
            sb.Append("            \"name\": \"").Append(item.Name).Append("\",\n");
            sb.Append("            \"path\": \"").Append(item.Path).Append("\"\n");
            sb.Append("        }").Append(++i < items.Count ? ",\n" : "\n");
        }
        sb.Append("    },\n");
        sb.Append("    \"rootModelIdentifier\": \"").Append(modelId).Append("\"\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>What a reader needs from a validated manifest.</summary>
    public sealed record Info(string ModelFile, string WeightsDirectory);

    /// <summary>Reads and validates <c>Manifest.json</c>; returns the root model file and its weights directory.</summary>
    public static Info Read(string packageDir)
    {
        string manifestPath = Path.Combine(packageDir, FileName);
        if (!File.Exists(manifestPath))
            throw new MlPackageException($"{FileName}: not found in package '{packageDir}'");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        }
        catch (JsonException e)
        {
            throw new MlPackageException($"{FileName}: not well-formed JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error("(root)", $"must be a JSON object, found {root.ValueKind}");

            string version = RequireString(root, "fileFormatVersion", "(root)");
            CheckVersion(version);

            if (!root.TryGetProperty("itemInfoEntries", out var entries))
                throw Error("itemInfoEntries", "required key is missing");
            if (entries.ValueKind != JsonValueKind.Object) throw Error("itemInfoEntries", $"must be an object, found {entries.ValueKind}");

            string dataDir = Path.Combine(packageDir, DataDirectory);
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            var authorNames = new HashSet<(string, string)>();
            foreach (var entry in entries.EnumerateObject())
            {
                string field = $"itemInfoEntries[\"{entry.Name}\"]";
                if (entry.Name.Length == 0) throw Error(field, "identifier is empty");
                if (paths.ContainsKey(entry.Name)) throw Error(field, "identifier appears twice");
                if (entry.Value.ValueKind != JsonValueKind.Object) throw Error(field, $"must be an object, found {entry.Value.ValueKind}");
                string author = RequireString(entry.Value, "author", field);
                RequireString(entry.Value, "description", field);
                string name = RequireString(entry.Value, "name", field);
                string path = RequireString(entry.Value, "path", field);
                if (!authorNames.Add((author, name)))
                    throw Error(field, $"(author, name) = ({author}, {name}) is not unique");
                string full = Resolve(dataDir, path, field);
                if (!File.Exists(full) && !Directory.Exists(full))
                    throw Error($"{field}.path", $"'{path}' does not exist under {DataDirectory}/");
                paths.Add(entry.Name, full);
            }

            string rootId = RequireString(root, "rootModelIdentifier", "(root)");
            if (!paths.TryGetValue(rootId, out var modelFile))
                throw Error("rootModelIdentifier", $"'{rootId}' is not a key of itemInfoEntries");
            if (!File.Exists(modelFile))
                throw Error("rootModelIdentifier", $"item '{rootId}' must be the model file, but its path is a directory");
            string weights = Path.Combine(Path.GetDirectoryName(modelFile)!, "weights");
            return new Info(modelFile, weights);
        }
    }

    /// <summary>
    /// Why the directory <paramref name="dir"/> must not be replaced by a package write, or null
    /// when it is recognisably a package (ours or coremltools'): a <c>Manifest.json</c> whose
    /// <c>rootModelIdentifier</c> names one of its items, and nothing else at the top level but
    /// <c>Data/</c>. The contents are not validated further: a damaged package may be replaced.
    /// </summary>
    public static string? WhyNotReplaceable(string dir)
    {
        // Sorted, so the entry named is the same on every file system.
        foreach (var entry in Directory.GetFileSystemEntries(dir).OrderBy(e => e, StringComparer.Ordinal))
        {
            string name = Path.GetFileName(entry);
            bool expected = name == FileName ? File.Exists(entry) : name == DataDirectory && Directory.Exists(entry);
            if (!expected)
                return $"it is not a Core ML package: it holds '{name}', and a package holds only {FileName} and {DataDirectory}/";
        }
        string manifest = Path.Combine(dir, FileName);
        if (!File.Exists(manifest)) return $"it is not a Core ML package: it has no {FileName}";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("rootModelIdentifier", out var id) && id.ValueKind == JsonValueKind.String
                && root.TryGetProperty("itemInfoEntries", out var items) && items.ValueKind == JsonValueKind.Object
                && items.TryGetProperty(id.GetString()!, out _))
                return null;
        }
        catch (JsonException) { }
        return $"it is not a Core ML package: its {FileName} does not name a root model item";
    }

    private static MlPackageException Error(string field, string rule) => MlPackageException.At(FileName, field, rule);

    private static string RequireString(JsonElement obj, string key, string field)
    {
        if (!obj.TryGetProperty(key, out var v))
            throw Error(field, $"required key '{key}' is missing");
        if (v.ValueKind != JsonValueKind.String)
            throw Error($"{(field == "(root)" ? "" : field + ".")}{key}", $"must be a string, found {v.ValueKind}");
        return v.GetString()!;
    }

    private static void CheckVersion(string version)
    {
        var parts = version.Split('.');
        if (parts.Length != 3 || parts.Any(p => !int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
            throw Error("fileFormatVersion", $"'{version}' is not of the form major.minor.patch with non-negative integers");
        var v = parts.Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (v[0] > 1 || (v[0] == 1 && (v[1] > 0 || v[2] > 0)))
            throw Error("fileFormatVersion", $"'{version}' is newer than the supported 1.0.0");
    }

    private static string Resolve(string dataDir, string relative, string field)
    {
        if (relative.Length == 0 || Path.IsPathRooted(relative))
            throw Error($"{field}.path", $"'{relative}' must be a non-empty path relative to {DataDirectory}/");
        string baseFull = Path.GetFullPath(dataDir);
        string full = Path.GetFullPath(Path.Combine(baseFull, relative));
        if (!full.StartsWith(baseFull + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Error($"{field}.path", $"'{relative}' leaves the {DataDirectory}/ directory");
        return full;
    }
}
