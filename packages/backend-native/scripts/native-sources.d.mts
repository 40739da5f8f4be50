/** Paths (relative to the package root, `/`-separated, sorted) of every file under native/ except native/build. */
export function nativeSourceFiles(root: string): string[];
/** SHA-256 (hex) over the path, length and bytes of every native source file. */
export function nativeSourceHash(root: string): string;
