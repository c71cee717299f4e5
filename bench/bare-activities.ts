/** B0's activities: no work, except the charge waits what the simulator's two gateway calls wait. */
export function createBareActivities(gatewayLatencyMs: number) {
  return {
    async validate(): Promise<void> {},
    async charge(): Promise<void> {
      if (gatewayLatencyMs > 0) await new Promise((r) => setTimeout(r, 2 * gatewayLatencyMs));
    },
    async webhook(): Promise<void> {},
  };
}
