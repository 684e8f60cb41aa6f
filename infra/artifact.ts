// A function's deployed code, written to a folder: exactly what CallbackFunction zips (serializeFunction of the
// callback, plus computeCodePaths with the same options). The artifact test runs it; the benchmark weighs it and
// times its cold start. Run with the project root as the working directory, as Pulumi runs the program.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";

export interface Package {
  dir: string;
  files: number;
  bytes: number;
  /** Deflate-compressed size of all files: close to the zip Pulumi uploads. */
  zippedBytes: number;
}

export async function writePackage(
  name: string,
  factory: (...args: any[]) => unknown,
  options: pulumi.runtime.CodePathOptions,
  root: string = process.cwd(),
): Promise<Package> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tpp-${name}-`));
  const serialized = await pulumi.runtime.serializeFunction(factory, {
    exportName: "handler",
    isFactoryFunction: true,
    serialize: () => true,
    allowSecrets: true,
  });
  fs.writeFileSync(path.join(dir, "__index.js"), serialized.text);
  // CallbackFunction adds "aws-sdk" (v2, provided by old runtimes) to the exclusions itself.
  const codePaths = await pulumi.runtime.computeCodePaths({
    ...options,
    extraExcludePackages: [...(options.extraExcludePackages ?? []), "aws-sdk"],
  });
  for (const [archivePath, asset] of codePaths) {
    const source =
      asset instanceof pulumi.asset.FileArchive ? await asset.path : await (asset as pulumi.asset.FileAsset).path;
    const target = path.join(dir, archivePath);
    if (path.relative(dir, target).startsWith("..")) throw new Error(`${archivePath} would land outside the package`);
    fs.cpSync(path.resolve(root, source), target, { recursive: true, dereference: true });
  }
  return { dir, ...measureFolder(dir) };
}

export function measureFolder(dir: string): { files: number; bytes: number; zippedBytes: number } {
  let files = 0;
  let bytes = 0;
  let zippedBytes = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const data = fs.readFileSync(path.join(entry.parentPath, entry.name));
    files += 1;
    bytes += data.length;
    zippedBytes += zlib.deflateRawSync(data, { level: 6 }).length;
  }
  return { files, bytes, zippedBytes };
}

/** The module a packaged factory `require`s as Lambda loads the function, relative to the package. */
export function requiredHandler(pkgDir: string): string {
  const text = fs.readFileSync(path.join(pkgDir, "__index.js"), "utf8");
  const match = /require\("(\.\/[^"]+)"\)/.exec(text);
  if (!match) throw new Error(`${pkgDir}/__index.js requires no shipped module`);
  return match[1];
}
