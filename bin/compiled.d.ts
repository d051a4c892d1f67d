export declare const REPO_ROOT: string;
export declare const DIST_DIR: string;
export declare const DIST_ENTRY: string;
export declare const BUILD_INPUTS_FILE: string;
export declare function staleReason(): string | undefined;
export declare function compiledEntry(): string | undefined;
