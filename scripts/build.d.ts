export declare function buildDist(): Promise<{ inputs: number; entry: string }>;
