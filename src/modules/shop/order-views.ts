/** Loads orders with their lines and payment, in batches, as the API shows them. */
import type { ShopRepo } from './repo.js';
import type { OrderRow } from './tables.js';
import { type OrderWire, toOrderWire } from './wire.js';

export async function toOrderWires(repo: ShopRepo, rows: OrderRow[]): Promise<OrderWire[]> {
  const ids = rows.map((r) => r.id);
  const [lines, payments] = await Promise.all([repo.linesOf(ids), repo.paymentsOf(ids)]);
  return rows.map((row) =>
    toOrderWire(
      row,
      lines.filter((l) => l.orderId === row.id),
      payments.find((p) => p.orderId === row.id),
    ),
  );
}

export async function toOrderWireOne(repo: ShopRepo, row: OrderRow): Promise<OrderWire> {
  const [wire] = await toOrderWires(repo, [row]);
  return wire as OrderWire;
}
