//! For the tests of this crate and of the front ends: an [`App`] on a
//! fresh database of the backend under test (`MAILLAGE_TEST_DATABASE_URL`),
//! migrated, with its built-in actors, for `hub.test` unless `tweak` says
//! otherwise.

use std::sync::Arc;

use maillage_config::Config;
use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::App;

/// An application on a database that lives as long as the [`TestDatabase`].
pub async fn test_app(tweak: impl FnOnce(&mut Config)) -> (TestDatabase, App) {
    let test_db = TestDatabase::create().await.expect("a test database");
    let mut config = Config::load_with_env(None, Vec::new()).expect("the default configuration");
    config.database.url = test_db.url().to_string();
    config.instance.domain = "hub.test".into();
    tweak(&mut config);
    let db = Database::connect(&config.database).await.expect("the test database opens");
    db.migrate().await.expect("migrations apply");
    crate::actors::ensure_builtin_actors(&db, &config).await.expect("the built-in actors");
    let app = App::open(db, Arc::new(config)).await.expect("the application opens");
    (test_db, app)
}
