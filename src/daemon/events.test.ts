import { describe, expect, it } from "vitest";
import { KeeperEventBus } from "./events.js";

describe("KeeperEventBus", () => {
  it("calls each subscriber in order; one that throws is reported and the others still run; off() unsubscribes", () => {
    const errors: string[] = [];
    const bus = new KeeperEventBus((name, err) => errors.push(`${name}: ${String(err)}`));
    const seen: string[] = [];
    const off = bus.on("dropped", (e) => seen.push(`a ${e.reason}`));
    bus.on("dropped", () => {
      throw new Error("boom");
    });
    bus.on("dropped", (e) => seen.push(`c ${e.reason}`));
    const tx = {} as Parameters<Parameters<typeof bus.on<"dropped">>[1]>[0]["tx"];
    bus.emit("dropped", { tx, reason: "r1" });
    off();
    bus.emit("dropped", { tx, reason: "r2" });
    expect(seen).toEqual(["a r1", "c r1", "c r2"]);
    expect(errors).toEqual(["dropped: Error: boom", "dropped: Error: boom"]);
  });
});
