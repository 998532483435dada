// embed_migrations! cannot see new migration folders by itself.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
