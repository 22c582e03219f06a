import type { ShopHttp } from './soak/shop-http';

/**
 * Creates a product (EUR 12.00) through the API and sets its stock, as an
 * admin would: what the benchmarks need before they place orders.
 * @throws when either call does not succeed
 */
export const stockProduct = async (http: ShopHttp, adminToken: string, id: string, stock: number, name = `Bench ${id}`): Promise<void> => {
  const created = await http.callWithRetries('POST', '/products', { token: adminToken, json: { id, name, category: 'bench', price: { amount: 1200, currency: 'EUR' } } });
  if (created.status !== 201) throw new Error(`creating product ${id} answered ${created.status}: ${JSON.stringify(created.body)}`);
  const stocked = await http.callWithRetries('PUT', `/inventory/${id}`, { token: adminToken, json: { stock } });
  if (stocked.status !== 200) throw new Error(`stocking product ${id} answered ${stocked.status}: ${JSON.stringify(stocked.body)}`);
};
