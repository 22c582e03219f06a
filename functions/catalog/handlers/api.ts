import * as z from '../../shared/zod';
import { productIdSchema } from '../../shared/contracts/common';
import { jsonResponse, parseJsonBody, validate } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { categorySchema, newProductSchema, productChangesSchema } from '../domain/product';
import { catalogRoutes } from '../routes';
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct, type CatalogDeps } from '../use-cases/products';

/** `GET /products`'s query. */
export const productPageQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
  category: z.optional(categorySchema),
});

/** The path of the `/products/{id}` routes. */
export const productPath = z.object({ id: productIdSchema });

/**
 * The catalog's HTTP routes: reads are public, writes need `admin`. Every
 * product read shows `available` (units on sale, as inventory last
 * announced them) and `inStock`.
 */
export const createCatalogApi = (deps: CatalogDeps) =>
  httpApi(catalogRoutes, {
    'GET /products': async ({ event }) => {
      const query = validate(productPageQuery, event.queryStringParameters ?? {});
      return jsonResponse(200, await listProducts(deps, query));
    },
    'GET /products/{id}': async ({ event }) => {
      const { id } = validate(productPath, event.pathParameters ?? {});
      return jsonResponse(200, await getProduct(deps, id));
    },
    'POST /products': async ({ event }) => {
      const product = await createProduct(deps, parseJsonBody(event, newProductSchema));
      return jsonResponse(201, product, { location: `/products/${product.id}` });
    },
    'PUT /products/{id}': async ({ event }) => {
      const { id } = validate(productPath, event.pathParameters ?? {});
      return jsonResponse(200, await updateProduct(deps, id, parseJsonBody(event, productChangesSchema)));
    },
    'DELETE /products/{id}': async ({ event }) => {
      const { id } = validate(productPath, event.pathParameters ?? {});
      await deleteProduct(deps, id);
      return { statusCode: 204 };
    },
  });
