import * as z from 'zod';
import { productIdSchema } from '../../shared/contracts/common';
import { jsonResponse, parseJsonBody, validate } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { categorySchema, newProductSchema, productChangesSchema } from '../domain/product';
import { catalogRoutes } from '../routes';
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct, type CatalogDeps } from '../use-cases/products';

/** `GET /products`'s query. */
export const productPageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(2048).optional(),
    category: categorySchema.optional(),
  })
  .strict();

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
