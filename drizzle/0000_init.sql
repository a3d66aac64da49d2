CREATE SCHEMA "platform";
--> statement-breakpoint
CREATE SCHEMA "catalog";
--> statement-breakpoint
CREATE SCHEMA "files";
--> statement-breakpoint
CREATE SCHEMA "identity";
--> statement-breakpoint
CREATE SCHEMA "todos";
--> statement-breakpoint
CREATE TABLE "platform"."outbox_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "platform"."mail_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"to" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."categories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"parent_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."product_categories" (
	"product_id" uuid NOT NULL,
	"category_id" uuid NOT NULL,
	CONSTRAINT "product_categories_product_id_category_id_pk" PRIMARY KEY("product_id","category_id")
);
--> statement-breakpoint
CREATE TABLE "catalog"."products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"stock" integer NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"image_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', coalesce(attributes->>'author', '') || ' ' || coalesce(attributes->>'director', '')), 'B') || setweight(to_tsvector('english', description), 'C')) STORED NOT NULL,
	CONSTRAINT "products_kind_check" CHECK (kind in ('product', 'book', 'movie')),
	CONSTRAINT "products_status_check" CHECK (status in ('active', 'archived')),
	CONSTRAINT "products_price_check" CHECK (price_cents >= 0),
	CONSTRAINT "products_stock_check" CHECK (stock >= 0),
	CONSTRAINT "products_currency_check" CHECK (currency ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "catalog"."stock_reservation_lines" (
	"order_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "stock_reservation_lines_order_id_product_id_pk" PRIMARY KEY("order_id","product_id"),
	CONSTRAINT "stock_reservation_lines_quantity_check" CHECK (quantity > 0)
);
--> statement-breakpoint
CREATE TABLE "catalog"."stock_reservations" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "files"."files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text NOT NULL,
	"sha256" text NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	"storage_key" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "files_visibility_check" CHECK ("files"."files"."visibility" in ('private', 'public')),
	CONSTRAINT "files_status_check" CHECK ("files"."files"."status" in ('active', 'deleting')),
	CONSTRAINT "files_size_check" CHECK ("files"."files"."size" >= 0)
);
--> statement-breakpoint
CREATE TABLE "files"."uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"length" bigint NOT NULL,
	"offset" bigint DEFAULT 0 NOT NULL,
	"metadata" text DEFAULT '' NOT NULL,
	"busy_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "uploads_offset_check" CHECK ("files"."uploads"."offset" >= 0 and "files"."uploads"."offset" <= "files"."uploads"."length")
);
--> statement-breakpoint
CREATE TABLE "files"."usage" (
	"owner_id" uuid PRIMARY KEY NOT NULL,
	"used_bytes" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_used_check" CHECK ("files"."usage"."used_bytes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "identity"."mail_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."refresh_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"user_agent" text,
	"ip" text,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "identity"."users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'user' NOT NULL,
	"email_verified_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("identity"."users"."role" in ('user', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "todos"."backend_todos" (
	"id" uuid PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"completed" boolean DEFAULT false NOT NULL,
	"order" integer,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "todos"."deleted_todos" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "todos"."lists" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"position" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "todos"."todos" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"title" text NOT NULL,
	"notes" text,
	"completed" boolean DEFAULT false NOT NULL,
	"completed_at" timestamp with time zone,
	"due_at" timestamp with time zone,
	"priority" smallint DEFAULT 1 NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"position" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "todos_priority_check" CHECK ("todos"."todos"."priority" between 0 and 2)
);
--> statement-breakpoint
ALTER TABLE "catalog"."categories" ADD CONSTRAINT "categories_parent_id_categories_id_fk" FOREIGN KEY ("parent_id") REFERENCES "catalog"."categories"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."product_categories" ADD CONSTRAINT "product_categories_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."product_categories" ADD CONSTRAINT "product_categories_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "catalog"."categories"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_order_id_stock_reservations_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "catalog"."stock_reservations"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."mail_tokens" ADD CONSTRAINT "mail_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."refresh_tokens" ADD CONSTRAINT "refresh_tokens_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "identity"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "todos"."todos" ADD CONSTRAINT "todos_list_id_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "todos"."lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_events_unsent_idx" ON "platform"."outbox_events" USING btree ("id") WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX "outbox_events_sent_idx" ON "platform"."outbox_events" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "mail_outbox_to_created_idx" ON "platform"."mail_outbox" USING btree ("to","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "categories_slug_key" ON "catalog"."categories" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "categories_parent_idx" ON "catalog"."categories" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "product_categories_category_idx" ON "catalog"."product_categories" USING btree ("category_id","product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku_key" ON "catalog"."products" USING btree ("sku");--> statement-breakpoint
CREATE INDEX "products_search_idx" ON "catalog"."products" USING gin ("search");--> statement-breakpoint
CREATE INDEX "products_price_idx" ON "catalog"."products" USING btree ("price_cents","id");--> statement-breakpoint
CREATE INDEX "products_name_idx" ON "catalog"."products" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "products_created_idx" ON "catalog"."products" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "products_kind_created_idx" ON "catalog"."products" USING btree ("kind","created_at","id");--> statement-breakpoint
CREATE INDEX "products_kind_price_idx" ON "catalog"."products" USING btree ("kind","price_cents","id");--> statement-breakpoint
CREATE INDEX "products_in_stock_idx" ON "catalog"."products" USING btree ("created_at","id") WHERE stock > 0;--> statement-breakpoint
CREATE INDEX "stock_reservation_lines_product_idx" ON "catalog"."stock_reservation_lines" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "files_owner_idx" ON "files"."files" USING btree ("owner_id","id");--> statement-breakpoint
CREATE INDEX "files_storage_key_idx" ON "files"."files" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "files_deleting_idx" ON "files"."files" USING btree ("deleted_at") WHERE "files"."files"."status" = 'deleting';--> statement-breakpoint
CREATE INDEX "uploads_owner_idx" ON "files"."uploads" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "uploads_expires_idx" ON "files"."uploads" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "mail_tokens_user_idx" ON "identity"."mail_tokens" USING btree ("user_id","purpose");--> statement-breakpoint
CREATE INDEX "refresh_tokens_session_idx" ON "identity"."refresh_tokens" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "identity"."sessions" USING btree ("user_id","last_used_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "identity"."users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_role_idx" ON "identity"."users" USING btree ("role","id");--> statement-breakpoint
CREATE INDEX "users_created_idx" ON "identity"."users" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "backend_todos_order_idx" ON "todos"."backend_todos" USING btree ("order","id");--> statement-breakpoint
CREATE INDEX "deleted_todos_owner_idx" ON "todos"."deleted_todos" USING btree ("owner_id","deleted_at","id");--> statement-breakpoint
CREATE INDEX "deleted_todos_deleted_idx" ON "todos"."deleted_todos" USING btree ("deleted_at");--> statement-breakpoint
CREATE INDEX "lists_owner_position_idx" ON "todos"."lists" USING btree ("owner_id","position","id");--> statement-breakpoint
CREATE INDEX "todos_owner_list_position_idx" ON "todos"."todos" USING btree ("owner_id","list_id","position","id");--> statement-breakpoint
CREATE INDEX "todos_owner_due_idx" ON "todos"."todos" USING btree ("owner_id","due_at","id");--> statement-breakpoint
CREATE INDEX "todos_owner_priority_idx" ON "todos"."todos" USING btree ("owner_id","priority","id");--> statement-breakpoint
CREATE INDEX "todos_owner_created_idx" ON "todos"."todos" USING btree ("owner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "todos_owner_updated_idx" ON "todos"."todos" USING btree ("owner_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "todos_owner_open_due_idx" ON "todos"."todos" USING btree ("owner_id","due_at") WHERE not "todos"."todos"."completed";--> statement-breakpoint
CREATE INDEX "todos_tags_idx" ON "todos"."todos" USING gin ("tags");